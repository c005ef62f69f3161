from certcheck.cli import main

main()
