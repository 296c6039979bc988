import CLISupport
import Metrics
import RankCLI

BLASEnvironment.applyByReexecuting()
CommandMain.run(RankCommand.self, name: "meshtop-rank", arguments: Array(CommandLine.arguments.dropFirst()),
                reportsErrors: LaunchEnvironment.current.rank == 0)
