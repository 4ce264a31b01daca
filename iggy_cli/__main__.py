from iggy_cli.app import main

main()
