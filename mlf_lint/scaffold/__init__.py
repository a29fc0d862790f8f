"""Project lifecycle: create from templates, sync with newer templates, bump versions, config."""
