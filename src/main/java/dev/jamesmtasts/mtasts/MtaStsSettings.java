package dev.jamesmtasts.mtasts;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SSLContext;

/**
 * How {@link MtaStsResolver} talks to DNS and to policy hosts. Immutable; build one with
 * {@link #builder()}. {@link #defaults()} gives every documented default:
 *
 * <table>
 *   <caption>Settings and their defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>{@link #resolvers()}</td><td>empty = the system's resolvers, as dnsjava reads them
 *       ({@code /etc/resolv.conf}, ...)</td><td>the TXT record and {@code mta-sts.<domain>} are resolved
 *       through the same servers</td></tr>
 *   <tr><td>{@link #dnsTimeout()}</td><td>5 s</td><td>per query and per resolver; one TXT
 *       lookup with all its CNAME hops ends within this × the number of resolvers</td></tr>
 *   <tr><td>{@link #fetchTimeout()}</td><td>60 s</td><td>RFC 8461 §3.3 suggests one minute; ONE bound
 *       on the policy host's A/AAAA lookups + connect + TLS + headers + body</td></tr>
 *   <tr><td>{@link #maxPolicyBytes()}</td><td>65536</td><td>RFC 8461 §3.3 suggests 64 KiB</td></tr>
 *   <tr><td>{@link #policyPort()}</td><td>443</td><td>HTTPS; other ports only for tests and demos</td></tr>
 *   <tr><td>{@link #allowPrivateAddresses()}</td><td>false</td><td>a recipient domain must not make the
 *       server probe its own network (loopback, private, link-local, ...)</td></tr>
 *   <tr><td>trust material</td><td>the JVM's default trust store</td><td>RFC 8461 §3.3: the policy host's
 *       certificate must chain to a trusted root</td></tr>
 *   <tr><td>{@link #contentTypePolicy()}</td><td>{@link ContentTypePolicy#STRICT}</td><td>RFC 8461 §3.3:
 *       the media type SHOULD be text/plain</td></tr>
 * </table>
 */
public final class MtaStsSettings {
    /** What to do with the policy response's {@code Content-Type} (RFC 8461 §3.2: "text/plain"). */
    public enum ContentTypePolicy {
        /**
         * The media type must be {@code text/plain} (case-insensitive, any parameters such as
         * {@code charset=utf-8}); a missing or different media type is a {@link FetchFailure#CONTENT_TYPE}
         * failure. Matches postfix-mta-sts-resolver and KumoMTA.
         */
        STRICT,
        /** The media type is ignored (as mox does); the body must still parse as a policy. */
        LENIENT
    }

    /** Default per-query DNS time-out. */
    public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);
    /** Default bound on a whole policy fetch (RFC 8461 §3.3 suggests one minute). */
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(60);
    /** Default policy size limit (RFC 8461 §3.3 suggests 64 KiB). */
    public static final int DEFAULT_MAX_POLICY_BYTES = 65536;
    /** The HTTPS port. */
    public static final int DEFAULT_POLICY_PORT = 443;

    // The allowed ranges, declared once: the builder checks them, the configuration reader documents them.
    /** {@link #dnsTimeout()}: greater than zero. */
    public static final DurationRange DNS_TIMEOUT = DurationRange.positive();
    /** {@link #fetchTimeout()}: greater than zero. */
    public static final DurationRange FETCH_TIMEOUT = DurationRange.positive();
    /** {@link #maxPolicyBytes()}: 1 byte to 16 MiB (RFC 8461 §3.3 suggests 64 KiB; more only wastes memory). */
    public static final IntRange MAX_POLICY_BYTES = IntRange.between(1, 16 * 1024 * 1024);
    /** {@link #policyPort()}: a TCP port. */
    public static final IntRange POLICY_PORT = HostPort.PORT;

    private final List<InetSocketAddress> resolvers;
    private final Duration dnsTimeout;
    private final Duration fetchTimeout;
    private final int maxPolicyBytes;
    private final int policyPort;
    private final boolean allowPrivateAddresses;
    private final Path trustStoreFile;
    private final char[] trustStorePassword;
    private final SSLContext sslContext;
    private final ContentTypePolicy contentTypePolicy;

    private MtaStsSettings(Builder b) {
        this.resolvers = List.copyOf(b.resolvers);
        this.dnsTimeout = b.dnsTimeout;
        this.fetchTimeout = b.fetchTimeout;
        this.maxPolicyBytes = b.maxPolicyBytes;
        this.policyPort = b.policyPort;
        this.allowPrivateAddresses = b.allowPrivateAddresses;
        this.trustStoreFile = b.trustStoreFile;
        this.trustStorePassword = b.trustStorePassword == null ? null : b.trustStorePassword.clone();
        this.sslContext = b.sslContext;
        this.contentTypePolicy = b.contentTypePolicy;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** All defaults: system resolvers, JVM trust store, 5 s DNS, 60 s fetch, 64 KiB, port 443, strict. */
    public static MtaStsSettings defaults() {
        return builder().build();
    }

    /** A builder holding these settings, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.resolvers.addAll(resolvers);
        b.dnsTimeout = dnsTimeout;
        b.fetchTimeout = fetchTimeout;
        b.maxPolicyBytes = maxPolicyBytes;
        b.policyPort = policyPort;
        b.allowPrivateAddresses = allowPrivateAddresses;
        b.trustStoreFile = trustStoreFile;
        b.trustStorePassword = trustStorePassword == null ? null : trustStorePassword.clone();
        b.sslContext = sslContext;
        b.contentTypePolicy = contentTypePolicy;
        return b;
    }

    /** The DNS servers to ask, in order; empty means the system's resolvers. */
    public List<InetSocketAddress> resolvers() {
        return resolvers;
    }

    /**
     * Time-out of one DNS query sent to one server. A whole lookup (every CNAME hop, every server,
     * the TCP retry) ends within this × the number of resolvers.
     */
    public Duration dnsTimeout() {
        return dnsTimeout;
    }

    /**
     * The single bound on a policy fetch: the policy host's A/AAAA lookups, connect, TLS handshake,
     * headers and body together.
     */
    public Duration fetchTimeout() {
        return fetchTimeout;
    }

    /** Largest accepted policy body in bytes; enforced while streaming. */
    public int maxPolicyBytes() {
        return maxPolicyBytes;
    }

    /** The TCP port of the policy host (443 except in tests and demos). */
    public int policyPort() {
        return policyPort;
    }

    /** Whether the policy host may resolve to loopback, private, link-local, ... addresses. */
    public boolean allowPrivateAddresses() {
        return allowPrivateAddresses;
    }

    /** A trust store file (PEM bundle, PKCS12 or JKS), or null. */
    public Path trustStoreFile() {
        return trustStoreFile;
    }

    /** The trust store password (a copy), or null. */
    public char[] trustStorePassword() {
        return trustStorePassword == null ? null : trustStorePassword.clone();
    }

    /** A ready-made client SSLContext (tests), or null. Takes precedence over {@link #trustStoreFile()}. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The rule applied to the response's media type. */
    public ContentTypePolicy contentTypePolicy() {
        return contentTypePolicy;
    }

    @Override
    public String toString() {
        return "MtaStsSettings{resolvers=" + (resolvers.isEmpty() ? "system" : resolvers)
                + ", dnsTimeout=" + dnsTimeout + ", fetchTimeout=" + fetchTimeout
                + ", maxPolicyBytes=" + maxPolicyBytes + ", policyPort=" + policyPort
                + ", allowPrivateAddresses=" + allowPrivateAddresses
                + ", trust=" + (sslContext != null ? "given SSLContext" : trustStoreFile != null ? trustStoreFile : "JVM default")
                + ", contentType=" + contentTypePolicy + '}';
    }

    /**
     * Builds {@link MtaStsSettings}; every setter validates its argument against the range constants
     * above and throws {@link SettingException} naming the setting. Not thread-safe.
     */
    public static final class Builder {
        private final List<InetSocketAddress> resolvers = new ArrayList<>();
        private Duration dnsTimeout = DEFAULT_DNS_TIMEOUT;
        private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
        private int maxPolicyBytes = DEFAULT_MAX_POLICY_BYTES;
        private int policyPort = DEFAULT_POLICY_PORT;
        private boolean allowPrivateAddresses;
        private Path trustStoreFile;
        private char[] trustStorePassword;
        private SSLContext sslContext;
        private ContentTypePolicy contentTypePolicy = ContentTypePolicy.STRICT;

        private Builder() {
        }

        /**
         * Adds a DNS server to ask (in the order added). An unresolved address (as configuration
         * parsers create for {@code host:port} text) is resolved here, once: an IP literal needs no
         * lookup; a host name is looked up through the JVM.
         *
         * @throws IllegalArgumentException when the host name of an unresolved address has no address
         */
        public Builder addResolver(InetSocketAddress resolver) {
            Objects.requireNonNull(resolver, "resolver");
            if (resolver.isUnresolved()) {
                InetSocketAddress resolved = new InetSocketAddress(resolver.getHostString(), resolver.getPort());
                if (resolved.isUnresolved()) {
                    throw new SettingException("resolvers", "must be IP addresses: " + resolver.getHostString()
                            + " has no address");
                }
                resolver = resolved;
            }
            resolvers.add(resolver);
            return this;
        }

        /** Replaces the DNS servers; an empty list means the system's resolvers. */
        public Builder resolvers(List<InetSocketAddress> list) {
            resolvers.clear();
            list.forEach(this::addResolver);
            return this;
        }

        /** Time-out of one DNS query to one server, {@link #DNS_TIMEOUT}. */
        public Builder dnsTimeout(Duration timeout) {
            this.dnsTimeout = DNS_TIMEOUT.check("dnsTimeout", timeout);
            return this;
        }

        /** The bound on a whole policy fetch, {@link #FETCH_TIMEOUT}. */
        public Builder fetchTimeout(Duration timeout) {
            this.fetchTimeout = FETCH_TIMEOUT.check("fetchTimeout", timeout);
            return this;
        }

        /** The largest accepted policy body in bytes, {@link #MAX_POLICY_BYTES}. */
        public Builder maxPolicyBytes(int bytes) {
            this.maxPolicyBytes = MAX_POLICY_BYTES.check("maxPolicyBytes", bytes);
            return this;
        }

        /** The policy host's TCP port, {@link #POLICY_PORT}. */
        public Builder policyPort(int port) {
            this.policyPort = POLICY_PORT.check("policyPort", port);
            return this;
        }

        /** Allows policy hosts on loopback/private/link-local addresses (tests, lab setups). */
        public Builder allowPrivateAddresses(boolean allow) {
            this.allowPrivateAddresses = allow;
            return this;
        }

        /**
         * Trusts the certificates in {@code file} instead of the JVM's: a PEM bundle (one or more
         * {@code -----BEGIN CERTIFICATE-----} blocks), a PKCS12 or a JKS key store. {@code password}
         * may be null for a PEM bundle or a store without integrity password.
         */
        public Builder trustStore(Path file, char[] password) {
            this.trustStoreFile = Objects.requireNonNull(file, "file");
            this.trustStorePassword = password == null ? null : password.clone();
            this.sslContext = null;
            return this;
        }

        /** Uses this client SSLContext for policy fetches (its trust managers decide); for tests. */
        public Builder sslContext(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "context");
            this.trustStoreFile = null;
            this.trustStorePassword = null;
            return this;
        }

        /** How the response media type is checked. */
        public Builder contentTypePolicy(ContentTypePolicy policy) {
            this.contentTypePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        public MtaStsSettings build() {
            return new MtaStsSettings(this);
        }
    }
}
