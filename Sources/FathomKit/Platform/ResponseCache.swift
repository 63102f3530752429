import Hummingbird
import NIOCore
import Synchronization

/// Keeps the answers of the read routes declared `cached` (the ledger, capacity and asset pages) for as long as
/// nothing could have changed them: the same principal, scope and URL, within the same second of the clock and with
/// no write since (`StoreChanges`: this process's writes, and on PostgreSQL those other processes announce). So an
/// answer is never older than the last write here; a write made elsewhere is seen once announced (milliseconds), or
/// within about two seconds where it cannot be (SQLite, a lost listener), as answers that depend on the time
/// (freshness, today's date) are. Routes declared `.untilWrite` depend on nothing but what is stored: while other
/// processes' writes are announced, their answers are kept until a write instead of a second (one instance of this
/// type per policy).
///
/// Many callers asking for the same page at once wait for one computation. When only the second has moved on (no
/// write), callers get the previous second's answer while the page is computed again, the first caller of the second
/// included: the computation then runs on its own, so no caller of a page asked for every second waits for it (a
/// page's computation time is not its callers' tail).
///
/// Only the `data` part is kept: each answer gets its own `meta` (request id, timestamp).
final class ResponseCache: Sendable {
    private let changes: StoreChanges
    private let clock: WallClock
    private let metrics: MetricsRegistry?
    /// Keeps answers of `.untilWrite` routes: until a write, not the next second, while other processes' writes are
    /// announced (`StoreChanges.othersAnnounced`), since any write then moves the generation on as it commits.
    private let untilWrite: Bool
    private let state = Mutex(State())

    /// Bodies larger than this are not kept.
    static let maximumBody = 1 << 20
    /// Answers kept at once, in bytes; when the next would pass it, those kept so far are dropped and keeping starts
    /// afresh (an `.untilWrite` epoch can last for hours, and must go on keeping the pages asked for now).
    let maximumBytes: Int

    init(
        changes: StoreChanges, clock: WallClock, metrics: MetricsRegistry? = nil, untilWrite: Bool = false,
        maximumBytes: Int = 64 << 20
    ) {
        self.changes = changes
        self.clock = clock
        self.metrics = metrics
        self.untilWrite = untilWrite
        self.maximumBytes = maximumBytes
    }

    /// What an answer was computed under: the store's generation and the clock's second (`span` 1), or the
    /// generation alone (`span` 0), read before computing.
    struct Epoch: Equatable {
        var generation: Int64
        var second: Int64
        var span: Int64 = 1
    }

    /// The epoch now: the generation alone for `.untilWrite` routes while other processes' writes are announced (each
    /// one then moves the generation on as it commits), else the generation and the second. A time bound there would
    /// make every kept answer expire at once, and their computations together held up every other request (a p99 of
    /// 103 ms for asset details at the minute's turn, against 4 ms otherwise).
    func epoch() -> Epoch {
        let generation = changes.generation
        if untilWrite && changes.othersAnnounced { return Epoch(generation: generation, second: 0, span: 0) }
        return Epoch(generation: generation, second: Self.second(clock.millis()))
    }

    struct State {
        var epoch = Epoch(generation: -1, second: .min)
        var entries: [String: Entry] = [:]
        var bytes = 0
        /// The answers of the second just before `epoch`'s, with no write since: given while `entries` computes anew.
        var previous: [String: Answer] = [:]
    }

    enum Entry {
        case ready(Answer)
        case computing(Flight)
    }

    /// A kept answer: status, headers and the body up to `"meta":`.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var head: ByteBuffer
    }

    enum Lookup {
        case hit(Answer)
        /// The previous second's answer, while this second's is computed.
        case previous(Answer)
        /// The previous second's answer; this caller starts this second's computation, which it does not wait for.
        case refresh(Answer, Flight)
        case wait(Flight)
        case compute(Flight)
    }

    /// Answers from the cache, or computes with `handler` and keeps what it answered.
    func respond(
        _ request: Request, context: AppRequestContext,
        _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let principal = context.principal else { return try await handler(request, context) }
        let key = Self.key(request, principal: principal, scope: context.tenantScope)
        let epoch = epoch()
        switch lookup(key, epoch: epoch) {
        case .hit(let answer):
            count("hit")
            return try Self.response(answer, context: context)
        case .previous(let answer):
            count("previous")
            return try Self.response(answer, context: context)
        case .refresh(let answer, let flight):
            count("previous")
            count("miss")
            Task { _ = try? await compute(key, epoch: epoch, flight: flight, request, context: context, handler) }
            return try Self.response(answer, context: context)
        case .wait(let flight):
            count("wait")
            if let answer = await flight.answer() { return try Self.response(answer, context: context) }
            return try await handler(request, context)
        case .compute(let flight):
            count("miss")
            return try await compute(key, epoch: epoch, flight: flight, request, context: context, handler)
        }
    }

    /// Runs the route and keeps what it answered (for the flight's waiters too).
    private func compute(
        _ key: String, epoch: Epoch, flight: Flight, _ request: Request, context: AppRequestContext,
        _ handler: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            var response = try await handler(request, context)
            let answer = try await Self.keep(&response, requestId: context.requestId)
            finish(key, epoch: epoch, flight: flight, answer: answer)
            return response
        } catch {
            finish(key, epoch: epoch, flight: flight, answer: nil)
            throw error
        }
    }

    func lookup(_ key: String, epoch: Epoch) -> Lookup {
        state.withLock { state in
            if state.epoch != epoch {
                // Another second or a write since: everything kept is out of date. Only the very next second, with
                // no write between, may still give the last answers while they are computed again.
                var previous: [String: Answer] = [:]
                if epoch.generation == state.epoch.generation, epoch.span == state.epoch.span,
                    epoch.second == state.epoch.second + 1
                {
                    for (key, entry) in state.entries { if case .ready(let answer) = entry { previous[key] = answer } }
                }
                state = State(epoch: epoch, previous: previous)
            }
            switch state.entries[key] {
            case .ready(let answer)?: return .hit(answer)
            case .computing(let flight)?:
                if let answer = state.previous[key] { return .previous(answer) }
                return .wait(flight)
            case nil:
                let flight = Flight()
                state.entries[key] = .computing(flight)
                if let answer = state.previous[key] { return .refresh(answer, flight) }
                return .compute(flight)
            }
        }
    }

    func finish(_ key: String, epoch: Epoch, flight: Flight, answer: Answer?) {
        state.withLock { state in
            guard state.epoch == epoch, case .computing(let current)? = state.entries[key], current === flight else { return }
            guard let answer, answer.head.readableBytes <= maximumBytes else {
                state.entries[key] = nil
                return
            }
            if state.bytes + answer.head.readableBytes > maximumBytes {
                // Full: what was kept goes (computations under way stay theirs to finish).
                state.entries = state.entries.filter { if case .computing = $0.value { true } else { false } }
                state.bytes = 0
            }
            state.entries[key] = .ready(answer)
            state.bytes += answer.head.readableBytes
        }
        flight.finish(answer)
    }

    private func count(_ result: String) {
        metrics?.increment("fathom_response_cache_total", help: "Cached read routes: answers kept (hit), kept from the second before while computed again (previous), waited for (wait) or computed (miss)", labels: ["result": result])
    }

    static func key(_ request: Request, principal: Principal, scope: TenantScope?) -> String {
        let projects = scope?.projectIds.map { $0.joined(separator: ",") } ?? (scope == nil ? "-" : "fleet")
        return [principal.userId, principal.role.rawValue, principal.projectId ?? "", projects,
                request.uri.path, request.uri.query ?? ""].joined(separator: "\u{1}")
    }

    static func second(_ millis: Int64) -> Int64 { millis >= 0 ? millis / 1000 : (millis - 999) / 1000 }

    /// Reads the body of a successful JSON answer into memory (the response is given it back) and returns what is
    /// kept of it: everything before this request's `meta`, which the envelope writes last. Nil for anything else.
    static func keep(_ response: inout Response, requestId: String) async throws -> Answer? {
        guard response.status == .ok, let length = response.body.contentLength, length <= maximumBody else { return nil }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let body = collector.buffer
        response.body = .init(byteBuffer: body)
        let marker = Array(#""meta":{"requestId":"\#(requestId)""#.utf8)
        let bytes = body.readableBytesView
        guard bytes.last == UInt8(ascii: "}"), let start = lastIndex(of: marker, in: bytes) else { return nil }
        let headLength = start - bytes.startIndex + #""meta":"#.utf8.count
        return Answer(status: response.status, headers: response.headers, head: body.getSlice(at: body.readerIndex, length: headLength)!)
    }

    /// The kept answer with this request's `meta`.
    static func response(_ answer: Answer, context: AppRequestContext) throws -> Response {
        let meta = try ResponseJSONEncoder().encode(context.meta)
        var body = ByteBuffer()
        body.reserveCapacity(answer.head.readableBytes + meta.count + 1)
        body.writeImmutableBuffer(answer.head)
        body.writeBytes(meta)
        body.writeInteger(UInt8(ascii: "}"))
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: body))
    }

    private static func lastIndex(of marker: [UInt8], in bytes: ByteBufferView) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        var index = bytes.endIndex - marker.count
        while index >= bytes.startIndex {
            if bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker) { return index }
            index -= 1
        }
        return nil
    }

    /// One computation that callers of the same key wait for; nil when it kept nothing (they then compute their own).
    final class Flight: Sendable {
        private let state = Mutex<(done: Bool, answer: Answer?, waiters: [CheckedContinuation<Answer?, Never>])>((false, nil, []))

        func answer() async -> Answer? {
            await withCheckedContinuation { continuation in
                let ready: Answer?? = state.withLock { state in
                    if state.done { return .some(state.answer) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }

        func finish(_ answer: Answer?) {
            let waiters = state.withLock { state in
                state.done = true
                state.answer = answer
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: answer) }
        }
    }
}
