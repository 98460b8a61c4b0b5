from pvsignal.cli import main

main()
