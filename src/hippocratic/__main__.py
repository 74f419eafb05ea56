from hippocratic.cli import main

main()
