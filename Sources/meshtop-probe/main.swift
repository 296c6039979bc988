import CLISupport
import Probe

CommandMain.run(ProbeRankCommand.self, name: "meshtop-probe", arguments: Array(CommandLine.arguments.dropFirst()),
                reportsErrors: ProbeRankCommand.isRankZero)
