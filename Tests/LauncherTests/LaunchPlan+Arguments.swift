import Foundation
import Launcher
import RunOptions

extension LaunchPlan {
    /// A plan whose ranks get exactly `rankArguments` (a test's own, in its own order), with the
    /// specification they parse to.
    init(rankExecutable: String, rankArguments: [String], cores: Int = ProcessInfo.processInfo.activeProcessorCount,
         isRoot: Bool = getuid() == 0, exportedVariables: [String] = [], mpirun: String = "mpirun") throws {
        self.init(spec: try RunOptions.specification(parsing: rankArguments), rankExecutable: rankExecutable, cores: cores,
                  isRoot: isRoot, exportedVariables: exportedVariables, mpirun: mpirun)
        self.rankArguments = rankArguments
    }
}
