package dev.jamesmtasts.mtasts;

/**
 * A typed failure of one bounded HTTPS exchange ({@link HttpsConnector}): its kind and a message that
 * the code raising it has made safe ({@link SafeText}) wherever it quotes the peer. Carries no stack
 * trace: it is an expected outcome, not a bug.
 */
public final class HttpsFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final FetchFailure kind;

    public HttpsFailure(FetchFailure kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public FetchFailure kind() {
        return kind;
    }
}
