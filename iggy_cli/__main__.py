from iggy_cli.cli.entry import main

main()
