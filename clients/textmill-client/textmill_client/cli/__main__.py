from textmill_client.cli.app import main

main()
