from pdc.cli import main

main()
