// AdamW's hyper-parameters are part of a run's description, so they live in RunSpec.
@_exported import struct RunSpec.AdamWConfig
@_exported import struct RunSpec.OptimConfigError
