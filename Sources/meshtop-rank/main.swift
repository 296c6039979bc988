import Model
import RankCLI

BLASThreadTimeout.applyByReexecuting()
RankCommand.main()
