import RankCLI

RankCommand.main()
