from onematter.cli import main

main()
