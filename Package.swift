// swift-tools-version:6.1
// meshtop: a terminal dashboard for data-parallel training on a [dp_replicate, dp_shard] mesh.
// One library target per concern; the two executables only parse arguments and call into them.
import PackageDescription

let package = Package(
    name: "meshtop",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "meshtop", targets: ["meshtop"]),
        .executable(name: "meshtop-rank", targets: ["meshtop-rank"]),
        .executable(name: "meshtop-probe", targets: ["meshtop-probe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries, imported through shim headers.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CNcursesw"),
        // stdout and stderr through functions (Swift 6 refuses the C globals themselves).
        .systemLibrary(name: "CStdio"),

        // Libraries: one concern each.
        // The shared vocabulary of a run (exit statuses, refused inputs): Foundation only.
        .target(name: "RunSpec"),
        // The entry point both executables share: parse, run, one line and one status per failure.
        .target(name: "CLISupport", dependencies: ["CStdio", "RunSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "Collectives", dependencies: ["CMPI"]),
        .target(name: "Mesh", dependencies: ["Collectives", "RunSpec"]),
        .target(name: "Memory", dependencies: ["RunSpec"]),
        // SHA-256 on the SHA-NI instructions where the CPU has them (checkpoint checksums).
        .target(name: "CSHA256"),
        .target(name: "Checksum", dependencies: ["CSHA256"]),
        .target(name: "Tokenizer", dependencies: ["Checksum"]),
        .target(name: "Dataset", dependencies: ["Checksum", "Tokenizer"]),
        // AVX2/FMA kernels (attention core, element-wise passes) the Model picks at run time.
        .target(name: "CKernels"),
        // The model's shapes: parameter layout and buffer sizes, pure arithmetic (no BLAS), what
        // the planner predicts from and checkpoints are laid out by.
        .target(name: "ModelShape", dependencies: ["CKernels", "RunSpec"]),
        .target(name: "Model", dependencies: ["CBLAS", "CKernels", "Memory", "ModelShape", "RunSpec"]),
        .target(name: "Optim", dependencies: ["RunSpec"]),
        .target(name: "SafeTensors", dependencies: ["RunSpec"]),
        .target(name: "Parallel", dependencies: ["Collectives", "Memory", "Model", "RunSpec"]),
        .target(name: "Metrics", dependencies: ["CBLAS", "CKernels", "RunSpec"]),
        // What `meshtop probe` measured (hosts, sgemm rate, links), as a versioned JSON file: no MPI.
        .target(name: "Topology", dependencies: ["RunSpec"]),
        // The what-if planner: per-rank memory and traffic of every mesh, predicted without a model,
        // and with a topology the step time.
        .target(name: "Planner", dependencies: ["Memory", "ModelShape", "RunSpec", "Topology"]),
        // The probe's ranks: ping-pong within and between hosts, the sgemm rate alone and all busy.
        .target(name: "Probe", dependencies: [
            "CBLAS", "CMPI", "CStdio", "Collectives", "Metrics", "RunOptions", "RunSpec", "Topology",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A checkpoint's files (manifest, folders, reading) and weight files: no MPI.
        .target(name: "CheckpointFiles", dependencies: ["Checksum", "ModelShape", "RunSpec", "SafeTensors"]),
        // Writing and loading checkpoints: collective over the mesh.
        .target(name: "Checkpoint", dependencies: [
            "CheckpointFiles", "RunSpec", "Checksum", "Collectives", "Mesh", "Model", "Parallel", "SafeTensors",
        ]),
        // The event stream rank 0 -> front end (and its control channel back): Foundation only.
        .target(name: "Telemetry", dependencies: ["RunSpec"]),
        .target(name: "Diagnosis", dependencies: ["RunSpec", "Telemetry"]),
        // Runs read from elsewhere (recordings, TensorBoard event files, torchtitan's logs) as
        // telemetry events: what `compare`, `watch` and `run --compare` show.
        .target(name: "RunSources", dependencies: ["RunSpec", "Telemetry", "TensorBoard"]),
        // TensorBoard's event files: TFRecord framing (masked CRC-32C) and the event protobufs, by hand.
        .target(name: "TensorBoard"),
        // Runs side by side: curves by step or tokens, differences against the first, verdicts.
        .target(name: "Compare", dependencies: ["Telemetry"]),
        // Cells, layout, themes and the ncurses backend: what any screen of meshtop draws with.
        .target(name: "Terminal", dependencies: ["CNcursesw"]),
        // The dashboard: state from telemetry, widgets into a cell buffer, keys, the app loop.
        .target(name: "Dashboard", dependencies: ["Compare", "Diagnosis", "RunSpec", "Terminal", "Telemetry"]),
        .target(name: "Trainer", dependencies: [
            "CBLAS", "Checkpoint", "Collectives", "Dataset", "Memory", "Mesh", "Metrics", "Model", "Optim", "Parallel", "SafeTensors",
            "RunSpec", "Tokenizer",
        ]),
        // The options of a run, declared once: both executables parse them, the launcher writes them out.
        .target(name: "RunOptions", dependencies: [
            "Dataset", "RunSpec", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "RankCLI", dependencies: [
            "CStdio", "CLISupport", "RunOptions", "RunSpec", "Checkpoint", "Collectives", "Dataset", "Memory", "Mesh", "Metrics", "Model", "Parallel", "Telemetry", "Trainer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // mpirun's command line, the supervision of a job, --config files (TOML).
        .target(name: "Launcher", dependencies: ["CStdio", "Diagnosis", "RunOptions", "RunSpec", "Telemetry", .product(name: "TOMLKit", package: "TOMLKit")]),
        // `meshtop`'s commands. It links neither MPI nor OpenBLAS: the ranks train, the front end
        // reads their telemetry, and plans from the model's shapes.
        .target(name: "FrontendCLI", dependencies: [
            "CStdio", "CLISupport", "RunOptions", "RunSpec", "CheckpointFiles", "Compare", "Dashboard", "Diagnosis", "Launcher", "ModelShape", "RunSources",
            "Planner", "Telemetry", "Terminal", "Tokenizer", "Topology", "Dataset", "SafeTensors",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Executables: thin entry points.
        .executableTarget(name: "meshtop", dependencies: ["FrontendCLI"]),
        .executableTarget(name: "meshtop-rank", dependencies: ["CLISupport", "Metrics", "RankCLI"]),
        .executableTarget(name: "meshtop-probe", dependencies: ["CLISupport", "Metrics", "Probe"]),

        // Benchmarks (bench/): figures for the notes, not tests.
        .executableTarget(name: "bench-model", dependencies: ["Model", "Memory", "Metrics", "CBLAS"], path: "bench/model"),
        .executableTarget(name: "bench-tokenizer", dependencies: ["Tokenizer"], path: "bench/tokenizer"),
        .executableTarget(name: "bench-optim", dependencies: ["Checksum", "Optim", "SafeTensors"], path: "bench/optim"),
        .executableTarget(name: "bench-parallel", path: "bench/parallel"),
        .executableTarget(name: "bench-dashboard", dependencies: ["CNcursesw", "Dashboard", "Telemetry", "Terminal"],
                          path: "bench/dashboard"),
        .executableTarget(name: "bench-heartbeats", dependencies: ["RunSpec", "Telemetry"], path: "bench/heartbeats"),
        .executableTarget(name: "bench-switch", dependencies: ["CStdio", "Launcher", "RunOptions", "RunSpec", "Telemetry"], path: "bench/switch"),

        // Runs collective and mesh scenarios inside real MPI ranks; MPITests start it under mpirun.
        .executableTarget(name: "mpi-test-worker", dependencies: ["Collectives", "Mesh"],
                          path: "Tests/MPIWorker"),

        .testTarget(name: "MeshTests", dependencies: ["Mesh", "Collectives"]),
        .testTarget(name: "CollectivesTests", dependencies: ["Collectives"]),
        .testTarget(name: "MemoryTests", dependencies: ["Memory"]),
        .testTarget(name: "ChecksumTests", dependencies: ["Checksum"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Checksum", "Tokenizer", "TestSupport"]),
        .testTarget(name: "DatasetTests", dependencies: ["Dataset", "Tokenizer", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Memory"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Model", "Mesh", "Collectives", "TestSupport"]),
        .testTarget(name: "MPITests", dependencies: ["TestSupport", "Mesh", "Model", "Trainer", "Checkpoint"]),
        .testTarget(name: "CheckpointTests", dependencies: [
            "Checkpoint", "Checksum", "Collectives", "FrontendCLI", "Mesh", "Model", "Parallel", "RankCLI", "SafeTensors",
            "Trainer", "TestSupport",
        ]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Metrics", "RankCLI", "FrontendCLI", "RunSpec"]),
        .testTarget(name: "TerminalTests", dependencies: ["CNcursesw", "Terminal", "TestSupport"]),
        .testTarget(name: "DashboardTests", dependencies: ["CNcursesw", "Compare", "Dashboard", "Diagnosis", "Telemetry", "Terminal", "FrontendCLI", "Planner", "Model", "TestSupport", "Topology"],
                    exclude: ["Snapshots"]),
        .testTarget(name: "TelemetryTests", dependencies: ["RunSpec", "Telemetry", "TestSupport"]),
        .testTarget(name: "DiagnosisTests", dependencies: ["Diagnosis", "RunSpec", "Telemetry"]),
        .testTarget(name: "RunSourcesTests", dependencies: ["RunSources", "RunSpec", "Telemetry", "TensorBoard", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TensorBoardTests", dependencies: ["TensorBoard", "TestSupport"]),
        .testTarget(name: "CompareTests", dependencies: ["Compare", "Telemetry", "TestSupport"]),
        .testTarget(name: "LauncherTests", dependencies: ["Launcher", "FrontendCLI", "RankCLI", "Telemetry", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Memory", "Mesh", "Model", "Parallel", "TestSupport", "Topology"]),
        // Runs across test hosts (scripts/testhosts.sh: network namespaces, Open MPI over TCP).
        .testTarget(name: "MultiHostTests", dependencies: ["CheckpointFiles", "Launcher", "Planner", "RunSpec", "Telemetry", "TestSupport", "Topology"]),
        // Real runs on a real terminal (tmux): the dashboard end to end.
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
        // Shared by tests: locating built products and the shared data, running processes, temporary folders.
        .target(name: "TestSupport", dependencies: ["RunSpec"], path: "Tests/TestSupport"),
    ]
)
