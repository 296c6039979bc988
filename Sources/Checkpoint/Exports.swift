// A checkpoint's files (manifest, folders, reading) need no MPI, so the front end reads them
// through CheckpointFiles alone; writing and loading one are collective, here.
@_exported import CheckpointFiles
