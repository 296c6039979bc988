import Foundation

/// What every end-to-end test's shell needs: the environment mpirun needs to start ranks as
/// whoever runs the tests. (Each test's folder: TestSupport's makeTemporaryFolder.)
enum EndToEndRun {
    static let rankEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
}
