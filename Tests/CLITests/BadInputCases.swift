/// The audit of bad inputs (issue 21): every command and option that names a value or a file,
/// each case what a user could really type, with what its one line must say. Paths are relative
/// to `BadInputFixture`'s folder, where the tests run.
struct BadInput {
    enum Program: String, CaseIterable { case meshtop, rank = "meshtop-rank" }

    let program: Program
    let arguments: [String]
    /// Every one of these appears in the line: the input named, and what is wrong with it.
    let says: [String]
    /// Run as an unprivileged user (a file root can read anyway is unreadable only for others).
    var unprivileged = false

    static func meshtop(_ arguments: [String], _ says: String...) -> BadInput {
        BadInput(program: .meshtop, arguments: arguments, says: says)
    }

    static func rank(_ arguments: [String], _ says: String...) -> BadInput {
        BadInput(program: .rank, arguments: arguments, says: says)
    }

    func asNobody() -> BadInput { var copy = self; copy.unprivileged = true; return copy }
}

extension BadInput {
    /// `meshtop run`: values out of range, malformed, missing; conflicting options; files.
    static let run: [BadInput] = [
        .meshtop(["run", "--steps", "-3"], "--steps -3", "at least 1"),
        .meshtop(["--steps", "-3"], "--steps -3", "at least 1"),
        .meshtop(["run", "--steps", "abc"], "'abc'", "--steps"),
        .meshtop(["run", "--steps"], "--steps", "Missing value"),
        .meshtop(["run", "--stpes", "3"], "'--stpes'"),
        .meshtop(["run", "--mesh", "3x1", "--np", "2"], "--mesh 3x1", "--np is 2"),
        .meshtop(["run", "--mesh", "2y2"], "'2y2'", "RxS"),
        .meshtop(["run", "--mesh", "0x2"], "0x2", "at least 1"),
        .meshtop(["run", "--np", "0"], "--np", "0"),
        .meshtop(["run", "--np", "-2"], "--np", "-2"),
        .meshtop(["run", "--max-np", "0"], "--max-np 0", "at least 1"),
        .meshtop(["run", "--no-tui", "--theme", "nope"], "--theme nope", "no such theme"),
        .meshtop(["run", "--no-tui", "--theme", "bad.theme"], "bad.theme", "line 1"),
        .meshtop(["run", "--theme", "missing.theme"], "missing.theme", "cannot read"),
        .meshtop(["run", "--flavor", "huge"], "'huge'", "debugmodel"),
        .meshtop(["run", "--dim", "0"], "dim 0", "--dim", "at least 1"),
        .meshtop(["run", "--n-heads", "5"], "n_heads 5", "--n-heads", "divisible"),
        .meshtop(["run", "--seq-len", "0"], "--seq-len 0", "at least 1"),
        .meshtop(["run", "--seq-len", "100000"], "--seq-len 100000", "max_seq_len"),
        .meshtop(["run", "--local-batch-size", "0"], "--local-batch-size 0", "at least 1"),
        .meshtop(["run", "--grad-accum", "0"], "--grad-accum 0", "at least 1"),
        .meshtop(["run", "--lr", "0"], "--lr 0", "positive"),
        .meshtop(["run", "--lr", "nan"], "--lr nan", "positive"),
        .meshtop(["run", "--weight-decay", "-1"], "--weight-decay -1", "negative"),
        .meshtop(["run", "--max-norm", "0"], "--max-norm 0", "positive"),
        .meshtop(["run", "--warmup-steps", "-1"], "--warmup-steps -1", "negative"),
        .meshtop(["run", "--decay-ratio", "2"], "--decay-ratio 2", "between 0 and 1"),
        .meshtop(["run", "--min-lr-factor", "-0.5"], "--min-lr-factor -0.5", "between 0 and 1"),
        .meshtop(["run", "--threads", "0"], "--threads 0", "at least 1"),
        .meshtop(["run", "--log-freq", "0"], "--log-freq 0", "at least 1"),
        .meshtop(["run", "--bucket-mb", "0"], "--bucket-mb 0", "positive"),
        .meshtop(["run", "--peak-tflops", "-1"], "--peak-tflops -1", "positive"),
        .meshtop(["run", "--np", "2", "--debug-slow-rank", "2:2"], "--debug-slow-rank 2:2.0", "rank 2 is not in the run (its ranks are 0-1)"),
        .meshtop(["run", "--debug-slow-rank", "0:0.5"], "--debug-slow-rank 0:0.5", "FACTOR must be at least 1"),
        .meshtop(["run", "--debug-slow-rank", "fast"], "'fast'", "--debug-slow-rank", "R:FACTOR"),
        .meshtop(["run", "--debug-slow-rank", "0:x"], "'0:x'", "FACTOR must be a number"),
        .meshtop(["run", "--debug-stall-rank", "0:0"], "--debug-stall-rank 0:0", "STEP must be at least 1"),
        .meshtop(["run", "--debug-stall-rank", "0:1.5"], "'0:1.5'", "STEP must be an integer"),
        .meshtop(["run", "--no-tui", "--topology", "missing.json"], "--topology missing.json", "no such file"),
        .meshtop(["run", "--no-tui", "--topology", "bad.json"], "--topology bad.json", "not a JSON object"),
        .meshtop(["run", "--seed", "-1"], "'-1'", "--seed"),
        .meshtop(["run", "--vocab-size", "100"], "--tokenizer", "vocab_size 100"),
        .meshtop(["run", "--checkpoint-every", "5"], "--checkpoint-every 5", "needs --checkpoint-dir"),
        .meshtop(["run", "--checkpoint-dir", "ckpt", "--keep-checkpoints", "0"], "--keep-checkpoints 0", "at least 1"),
        .meshtop(["run", "--resume"], "--resume", "needs --checkpoint-dir"),
        .meshtop(["run", "--checkpoint-dir", "ckpt", "--resume", "--resume-step", "3"], "--resume and --resume-step", "pick one"),
        .meshtop(["run", "--checkpoint-dir", "ckpt", "--resume-step", "0"], "--resume-step 0", "at least 1"),
        .meshtop(["run", "--checkpoint-dir", "checkpoints", "--resume-step", "7"], "--resume-step 7", "complete steps: 1"),
        .meshtop(["run", "--checkpoint-dir", "checkpoints", "--resume"], "--resume", "step-000001", "manifest"),
        .meshtop(["run", "--config", "negative.toml"], "--steps -3", "at least 1", "(negative.toml: [training] steps)"),
        .meshtop(["run", "--checkpoint-dir", "empty.txt"], "--checkpoint-dir empty.txt", "expected a folder"),
        .meshtop(["run", "--data", "missing.txt"], "--data missing.txt", "no such file"),
        .meshtop(["run", "--data", "folder"], "--data folder", "is a folder"),
        .meshtop(["run", "--data", "empty.txt"], "--data empty.txt", "is empty"),
        .meshtop(["run", "--data", "notes.md"], "--data notes.md", ".txt, .jsonl or .bin"),
        .meshtop(["run", "--data", "bad.bin"], "--data bad.bin", "header"),
        .meshtop(["run", "--data", "secret.txt"], "--data secret.txt", "cannot be read").asNobody(),
        .meshtop(["run", "--tokenizer", "missing.json"], "--tokenizer missing.json", "no such file"),
        .meshtop(["run", "--tokenizer", "bad.json"], "--tokenizer bad.json", "malformed JSON"),
        .meshtop(["run", "--tokenizer", "vocab.json"], "--tokenizer vocab.json", "model"),
        .meshtop(["run", "--tokenizer", "folder"], "--tokenizer folder", "is a folder"),
        .meshtop(["run", "--init-weights", "missing.safetensors"], "--init-weights missing.safetensors", "no such file"),
        .meshtop(["run", "--init-weights", "bad.safetensors"], "--init-weights bad.safetensors", "header"),
        .meshtop(["run", "--save-weights", "nowhere/out.safetensors"], "--save-weights nowhere/out.safetensors", "its folder nowhere does not exist"),
        .meshtop(["run", "--save-weights", "folder"], "--save-weights folder", "is a folder"),
        .meshtop(["run", "--metrics-file", "nowhere/run.jsonl"], "--metrics-file nowhere/run.jsonl", "does not exist"),
        .meshtop(["run", "--metrics-file", "folder"], "--metrics-file folder", "is a folder"),
        .meshtop(["run", "--tensorboard", "empty.txt"], "--tensorboard empty.txt", "is a file, expected a folder"),
        .meshtop(["run", "--tensorboard", "empty.txt/tb"], "--tensorboard empty.txt/tb", "empty.txt is a file"),
        .meshtop(["run", "--data", "input.txt", "--tensorboard", "tb/run"], "--tensorboard tb/run", "cannot write in .").asNobody(),
        .meshtop(["run", "--hostfile", "missing-hosts"], "--hostfile missing-hosts", "no such file"),
        .meshtop(["run", "--hostfile", "empty.txt"], "--hostfile empty.txt", "is empty"),
        .meshtop(["run", "--dump-folder", "empty.txt"], "--dump-folder empty.txt", "expected a folder"),
        .meshtop(["run", "--config", "missing.toml"], "--config missing.toml", "cannot read"),
        .meshtop(["run", "--config", "bad.toml"], "bad.toml", "not TOML"),
        .meshtop(["run", "--config", "wrongtype.toml"], "wrongtype.toml", "steps", "expected an integer"),
        .meshtop(["run", "--config"], "--config", "needs a file"),
        .meshtop(["run", "--config", "folder"], "--config folder", "cannot read"),
    ]

    static let otherCommands: [BadInput] = [
        .meshtop(["replay", "missing.jsonl"], "missing.jsonl", "no such file"),
        .meshtop(["replay", "folder"], "folder", "is a folder"),
        .meshtop(["replay", "empty.txt"], "empty.txt", "is empty"),
        .meshtop(["replay", "notes.md"], "notes.md", "not a meshtop recording"),
        .meshtop(["replay", "secret.txt"], "secret.txt", "cannot be read").asNobody(),
        .meshtop(["replay"], "Missing expected argument"),
        .meshtop(["replay", "--theme", "nope", "notes.md"], "--theme nope", "no such theme"),
        .meshtop(["watch", "missing.log"], "missing.log", "no such file or folder"),
        .meshtop(["watch", "--no-tui", "notes.md"], "notes.md", "no torchtitan log line"),
        .meshtop(["watch", "secret.txt"], "secret.txt", "cannot be read").asNobody(),
        .meshtop(["watch", "--poll-interval", "0", "notes.md"], "--poll-interval 0", "from 0.01 to 5"),
        .meshtop(["watch"], "Missing expected argument"),
        .meshtop(["export", "missing", "out.safetensors"], "missing", "no such folder"),
        .meshtop(["export", "folder", "out.safetensors"], "folder", "no manifest.json"),
        .meshtop(["export", "empty.txt", "out.safetensors"], "empty.txt", "expected a folder"),
        .meshtop(["export", "broken-checkpoint", "out.safetensors"], "manifest"),
        .meshtop(["export", "folder", "nowhere/out.safetensors"], "nowhere/out.safetensors", "does not exist"),
        .meshtop(["export", "folder", "folder"], "folder", "is a folder"),
        .meshtop(["export", "folder"], "Missing expected argument"),
        .meshtop(["tokenize", "--tokenizer", "missing.json", "input.txt", "-o", "out.bin"], "--tokenizer missing.json", "no such file"),
        .meshtop(["tokenize", "--tokenizer", "bad.json", "input.txt", "-o", "out.bin"], "bad.json", "malformed JSON"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "missing.txt", "-o", "out.bin"], "missing.txt", "no such file"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "folder", "-o", "out.bin"], "folder", "is a folder"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "input.txt", "-o", "nowhere/out.bin"], "nowhere/out.bin", "does not exist"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "bad.bin", "-o", "out.bin"], "bad.bin", "already a token file"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "notes.md", "-o", "out.bin"], "notes.md", "extension"),
        .meshtop(["tokenize", "--tokenizer", "@tokenizer", "input.txt"], "Missing expected argument", "--output"),
        .meshtop(["meshes", "--np", "0"], "--np", "at least 1"),
        .meshtop(["meshes", "--np", "-4"], "--np", "-4"),
        .meshtop(["meshes", "--np", "four"], "'four'", "--np"),
        .meshtop(["meshes"], "Missing expected argument", "--np"),
        .meshtop(["plan", "--np", "0"], "--np", "at least 1"),
        .meshtop(["plan", "--np", "4", "--runtime-mib", "-1"], "--runtime-mib", "negative"),
        .meshtop(["plan", "--np", "4", "--flavor", "huge"], "'huge'", "debugmodel"),
        .meshtop(["plan", "--np", "4", "--seq-len", "0"], "seq", "0"),
        .meshtop(["plan", "--np", "4", "--topology", "missing.json"], "--topology missing.json", "no such file"),
        .meshtop(["plan", "--np", "4", "--topology", "folder"], "--topology folder", "is a folder"),
        .meshtop(["plan", "--np", "4", "--topology", "notes.md"], "--topology notes.md", "not a JSON object"),
        .meshtop(["plan", "--np", "4", "--topology", "vocab.json"], "--topology vocab.json", "not a topology file"),
        .meshtop(["plan", "--np", "4", "--hostfile", "missing.txt"], "--hostfile missing.txt", "no such file"),
        .meshtop(["plan", "--np", "4", "--hosts", "2", "--hostfile", "input.txt"], "--hosts", "--hostfile", "exclude"),
        .meshtop(["probe", "--np", "1"], "--np 1", "at least 2"),
        .meshtop(["probe", "--hostfile", "missing.txt"], "--hostfile missing.txt", "no such file"),
        .meshtop(["probe", "-o", "nowhere/topology.json"], "--output nowhere/topology.json", "does not exist"),
        .meshtop(["probe", "-o", "folder"], "--output folder", "is a folder"),
        .meshtop(["probe", "--sgemm-seconds", "0"], "--sgemm-seconds 0", "(0, 60]"),
        .meshtop(["probe", "--max-message-bytes", "1000"], "--max-message-bytes 1000", "131072"),
        .meshtop(["nonsense"], "nonsense"),
    ]

    static let rankCommand: [BadInput] = [
        .rank(["--steps", "0"], "--steps 0", "at least 1"),
        .rank(["--steps", "-1"], "--steps -1", "at least 1"),
        .rank(["--bogus"], "'--bogus'"),
        .rank(["--mesh", "2x2"], "mesh 2x2", "4 ranks"),
        .rank(["--mesh", "two"], "'two'", "RxS"),
        .rank(["--data", "missing.txt"], "--data missing.txt", "no such file"),
        .rank(["--tokenizer", "folder"], "--tokenizer folder", "is a folder"),
        .rank(["--metrics-file", "nowhere/m.jsonl"], "--metrics-file nowhere/m.jsonl", "does not exist"),
        .rank(["--checkpoint-dir", "empty.txt"], "--checkpoint-dir empty.txt", "expected a folder"),
        .rank(["--resume-latest-valid"], "--resume-latest-valid", "needs --checkpoint-dir"),
        .rank(["--debug-stall-rank", "1:2"], "--debug-stall-rank 1:2", "rank 1 is not in the run (its one rank is 0)"),
        .rank(["--theme", "nope"], "'--theme'"),
    ]
}
