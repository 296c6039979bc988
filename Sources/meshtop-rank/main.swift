import CLISupport
import Model
import RankCLI

BLASThreadTimeout.applyByReexecuting()
CommandMain.run(RankCommand.self, name: "meshtop-rank", arguments: Array(CommandLine.arguments.dropFirst()),
                reportsErrors: LaunchEnvironment.current.rank == 0)
