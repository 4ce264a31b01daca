from iggy_cli.entry import main

main()
