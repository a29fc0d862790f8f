from mlf_lint.cli import main

main()
