/// The bad-input audit's cases of `meshtop compare` and `meshtop run --compare`.
extension BadInput {
    static let compare: [BadInput] = [
        .meshtop(["compare"], "at least 2 runs", "got 0"),
        .meshtop(["compare", "notes.md"], "at least 2 runs", "got 1: notes.md"),
        .meshtop(["compare", "notes.md", "empty.txt"], "notes.md", "not a run meshtop reads"),
        .meshtop(["compare", "missing.jsonl", "notes.md"], "missing.jsonl", "no such file"),
        .meshtop(["compare", "folder", "notes.md"], "folder", "a folder"),
        .meshtop(["compare", "--rtol", "-1", "notes.md", "empty.txt"], "--rtol -1", "at least 0 and below 1"),
        .meshtop(["compare", "--rtol", "nan", "notes.md", "empty.txt"], "--rtol nan", "at least 0 and below 1"),
        .meshtop(["compare", "--rtol", "1", "notes.md", "empty.txt"], "--rtol 1", "below 1"),
        .meshtop(["compare", "--align", "bytes", "notes.md", "empty.txt"], "'bytes'", "--align"),
        .meshtop(["compare", "--theme", "nope", "notes.md", "empty.txt"], "--theme nope", "no such theme"),
        .meshtop(["run", "--compare", "missing.jsonl"], "--compare missing.jsonl", "no such file"),
        .meshtop(["run", "--compare", "notes.md"], "--compare notes.md", "not a run meshtop reads"),
        .meshtop(["run", "--compare", "folder"], "--compare folder", "a folder"),
        .meshtop(["run", "--compare-rtol", "2"], "--compare-rtol 2", "below 1"),
    ]
}
