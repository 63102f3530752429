/// A failure message with a part only administrators may read: what the caller gets is generic (so it reveals
/// nothing about the network or a credential); the detail is kept with the job for the fleet's administrators.
public enum AdminDetail {
    static let marker = "\n[admin detail] "

    /// The message as stored: public text, then the detail.
    public static func attach(_ message: String, detail: String) -> String { message + marker + detail }

    /// The part everyone may read.
    public static func publicPart(_ message: String) -> String {
        guard let range = message.range(of: marker) else { return message }
        return String(message[..<range.lowerBound])
    }

    /// The administrators' part, if the message has one.
    public static func detail(_ message: String) -> String? {
        guard let range = message.range(of: marker) else { return nil }
        return String(message[range.upperBound...])
    }
}
