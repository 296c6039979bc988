import CLISupport
import Metrics
import Probe

BLASEnvironment.applyByReexecuting()  // the sgemm rate with the kernel the ranks will run

CommandMain.run(ProbeRankCommand.self, name: "meshtop-probe", arguments: Array(CommandLine.arguments.dropFirst()),
                reportsErrors: ProbeRankCommand.isRankZero)
