package dev.jamesmtasts.cache;

/**
 * What the delivery path asks before each SMTP hand-off: the MTA-STS policy that applies to a
 * recipient domain now. {@link PolicyCache} is the Cassandra-backed implementation shared by every
 * James node.
 *
 * <p>Implementations never throw: every outcome, including a store or DNS outage, is a
 * {@link CacheResult}.
 */
public interface PolicyProvider {
    /**
     * The policy for {@code domain} (as written in the recipient address; implementations normalize
     * it to its lower-case A-label form).
     */
    CacheResult get(String domain);
}
