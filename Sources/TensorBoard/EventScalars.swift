/// The scalars (and one-string texts) in a run's events, in either form writers use: a
/// `simple_value`, or a one-element float/double tensor whose tag's plugin is "scalars". Writers
/// give a tag's metadata with its first value only, so the plugin of each tag is remembered
/// across the events of a run (read them in order through one `EventScalars`).
public struct EventScalars: Sendable {
    public struct Point: Equatable, Sendable {
        public var tag: String
        public var step: Int64
        public var value: Double
        public var wallTime: Double
    }

    public struct Text: Equatable, Sendable {
        public var tag: String
        public var step: Int64
        public var text: String
    }

    /// Each tag's plugin, from its first value that said one.
    private var plugins: [String: String] = [:]

    public init() {}

    /// The scalars and texts of `event`.
    public mutating func take(_ event: Event) -> (points: [Point], texts: [Text]) {
        var points: [Point] = [], texts: [Text] = []
        for value in event.summary?.values ?? [] {
            if let plugin = value.metadata?.pluginName, !plugin.isEmpty, plugins[value.tag] == nil {
                plugins[value.tag] = plugin
            }
            switch value.payload {
            case .simple(let number):
                points.append(Point(tag: value.tag, step: event.step, value: Double(number), wallTime: event.wallTime))
            case .tensor(let tensor):
                let plugin = plugins[value.tag]
                if plugin == SummaryMetadata.scalarsPlugin, let number = tensor.scalar {
                    points.append(Point(tag: value.tag, step: event.step, value: number, wallTime: event.wallTime))
                } else if plugin == SummaryMetadata.textPlugin, let text = tensor.text {
                    texts.append(Text(tag: value.tag, step: event.step, text: text))
                }
            case .other:
                break
            }
        }
        return (points, texts)
    }
}
