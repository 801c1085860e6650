package dev.jamesmtasts.james;

import static dev.jamesmtasts.james.ConfigKey.bool;
import static dev.jamesmtasts.james.ConfigKey.choice;
import static dev.jamesmtasts.james.ConfigKey.duration;
import static dev.jamesmtasts.james.ConfigKey.integer;
import static dev.jamesmtasts.james.ConfigKey.text;
import static dev.jamesmtasts.james.ConfigKey.words;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.james.MtaStsConfiguration.SessionSource;
import dev.jamesmtasts.mtasts.HostPort;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.MtaStsSettings.ContentTypePolicy;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;

/**
 * The key table of {@code conf/mta-sts.properties}: every key once, in file order. Defaults of keys
 * that feed a settings builder are that builder's own defaults; allowed ranges are the builder's range
 * constants ({@link CacheSettings#NEAR_CACHE_SIZE}, {@link MtaStsSettings#POLICY_PORT}, ...), which the
 * builder also checks. {@code docs/configuration.md} and the comments of the shipped
 * {@code james-conf/mta-sts.properties} are generated from this table (by {@code ConfigurationDocTest},
 * which fails when they are out of date).
 */
final class MtaStsKeys {
    private static final CacheSettings CACHE = CacheSettings.defaults();
    private static final MtaStsSettings RESOLVER = MtaStsSettings.defaults();
    private static final TlsRptSettings TLSRPT = TlsRptSettings.defaults();
    private static final DaneSettings DANE = DaneSettings.defaults();

    static final List<ConfigKey> ALL = List.of(
            // ---- cassandra: where the shared policy cache lives ----
            text("cassandra.contactPoints", "127.0.0.1:9042", "a comma-separated list of host[:port] (port 9042 when "
                    + "omitted; IPv6 as [address]:port)",
                    (v, t) -> {
                        v.contactPoints = HostPort.parseList(t, 9042);
                        if (v.contactPoints.isEmpty()) {
                            throw new IllegalArgumentException("must name at least one Cassandra node");
                        }
                    },
                    "Cassandra nodes to connect to. Not used when James's own Cassandra session is reused "
                    + "(see cassandra.useServerSession)."),
            text("cassandra.localDatacenter", "datacenter1", "a datacenter name",
                    (v, t) -> {
                        if (t.isEmpty()) {
                            throw new IllegalArgumentException("must not be empty");
                        }
                        v.localDatacenter = t;
                    },
                    "The Cassandra driver's local datacenter (as nodetool status shows it). Not used when "
                    + "James's own Cassandra session is reused (James's cassandra.properties decides)."),
            text("cassandra.keyspace", CACHE.keyspace(), CacheSettings.KEYSPACE_RULE,
                    (v, t) -> v.cache.keyspace(t),
                    "Keyspace of the policy tables; created with the tables at start when absent. Also with "
                    + "James's own session (cassandra.useServerSession): the tables go into this keyspace, not "
                    + "into James's (cassandra.keyspace of James's cassandra.properties, apache_james by default); "
                    + "name James's keyspace here to put them there (its replication then applies)."),
            integer("cassandra.replicationFactor", 1, CacheSettings.REPLICATION_FACTOR,
                    (v, n) -> v.cache.replication(CacheSettings.Builder.simpleStrategy(n)),
                    "SimpleStrategy replication factor of cassandra.keyspace, used only when the extension creates "
                    + "it (an existing keyspace keeps its replication; change it with ALTER KEYSPACE). Also with "
                    + "James's own session: James's cassandra.replication.factor is not used for the policy "
                    + "tables."),
            choice("cassandra.readConsistency", CACHE.readConsistency(), levels(CacheSettings.READ_CONSISTENCY),
                    (v, c) -> v.cache.readConsistency(c),
                    "Consistency level of every read of the policy tables. local_quorum (with writes at "
                    + "local_quorum) is right for any replication factor: 1 replica of 1 on a single node; 2 of 3 "
                    + "with factor 3, so one node of three may be down and every read still overlaps the last "
                    + "write, i.e. each James node sees what another one stored or evicted. one/local_one read "
                    + "faster but may return an older policy than another node stored."),
            choice("cassandra.writeConsistency", CACHE.writeConsistency(), levels(CacheSettings.WRITE_CONSISTENCY),
                    (v, c) -> v.cache.writeConsistency(c),
                    "Consistency level of every write of the policy tables, and of the commit of the "
                    + "refresher's leases. Keep readConsistency + writeConsistency above the replication factor "
                    + "(the default local_quorum + local_quorum is) so that reads see the last write."),
            choice("cassandra.serialConsistency", CACHE.serialConsistency(), levels(CacheSettings.SERIAL_CONSISTENCY),
                    (v, c) -> v.cache.serialConsistency(c),
                    "Consistency level of the Paxos phase of the refresher's leases (lightweight transactions "
                    + "that let several James nodes share a refresh round, each domain refreshed once): "
                    + "local_serial within the local datacenter, serial across all datacenters."),
            choice("cassandra.useServerSession", SessionSource.AUTO,
                    words("auto", SessionSource.AUTO, "true", SessionSource.JAMES, "false", SessionSource.OWN),
                    (v, s) -> v.sessionSource = s,
                    "auto: reuse James's own Cassandra session when the server has one (the distributed app), "
                    + "else open one to cassandra.contactPoints; true: require James's session (the start fails "
                    + "without one); false: always open our own. With James's session, where it connects and "
                    + "with which credentials is James's (cassandra.properties; cassandra.contactPoints and "
                    + "cassandra.localDatacenter are not used), while cassandra.keyspace, "
                    + "cassandra.replicationFactor and the consistency levels still apply: James's Cassandra "
                    + "user must be allowed to create that keyspace, or create it beforehand."),

            // ---- dns: the _mta-sts TXT lookups (RFC 8461 §3.1) ----
            text("dns.resolvers", "", "empty, or a comma-separated list of ip[:port] (port 53 when omitted)",
                    (v, t) -> v.resolver.resolvers(HostPort.parseList(t, 53)),
                    "DNS servers asked for the _mta-sts TXT records and the policy host's address; empty = the "
                    + "system's resolvers (/etc/resolv.conf)."),
            duration("dns.timeout", RESOLVER.dnsTimeout(), MtaStsSettings.DNS_TIMEOUT,
                    (v, d) -> v.resolver.dnsTimeout(d),
                    "Time-out of one DNS query to one server; a whole TXT lookup (every CNAME hop, every "
                    + "server, the TCP retry) is bounded by this times the number of servers."),

            // ---- fetch: the HTTPS policy fetch (RFC 8461 §3.3) ----
            duration("fetch.timeout", RESOLVER.fetchTimeout(), MtaStsSettings.FETCH_TIMEOUT,
                    (v, d) -> v.resolver.fetchTimeout(d),
                    "Bound on a whole policy fetch: the policy host's A/AAAA lookups, connect, TLS handshake, "
                    + "headers and body (RFC 8461 §3.3 suggests one minute)."),
            integer("fetch.maxBytes", RESOLVER.maxPolicyBytes(), MtaStsSettings.MAX_POLICY_BYTES,
                    (v, n) -> v.resolver.maxPolicyBytes(n),
                    "Largest policy body accepted, in bytes, enforced while reading (RFC 8461 §3.3 suggests 64 KiB)."),
            integer("fetch.port", RESOLVER.policyPort(), MtaStsSettings.POLICY_PORT,
                    (v, n) -> v.resolver.policyPort(n),
                    "HTTPS port of mta-sts.<domain>. Only tests and demos change it."),
            choice("fetch.contentType", RESOLVER.contentTypePolicy(),
                    words("strict", ContentTypePolicy.STRICT, "lenient", ContentTypePolicy.LENIENT),
                    (v, c) -> v.resolver.contentTypePolicy(c),
                    "strict: the policy must be served as text/plain (RFC 8461 §3.2); lenient: any media type, "
                    + "the body must still parse as a policy."),
            bool("fetch.allowPrivateAddresses", RESOLVER.allowPrivateAddresses(),
                    (v, b) -> v.resolver.allowPrivateAddresses(b),
                    "Allow policy hosts that resolve to loopback, private or link-local addresses. Keep false in "
                    + "production (a recipient domain must not make the server probe its own network); tests set "
                    + "true."),
            text("fetch.trustStore", "", "empty, or the path of a readable PEM bundle, PKCS12 or JKS file",
                    (v, t) -> {
                        if (!t.isEmpty() && !Files.isReadable(Path.of(t))) {
                            throw new IllegalArgumentException("no readable file there");
                        }
                        v.trustStore = t;
                    },
                    "Certificates trusted for the policy hosts (RFC 8461 §3.3: the certificate must chain to a "
                    + "trusted root); empty = the JVM's default trust store (cacerts)."),
            text("fetch.trustStorePassword", "", "any text",
                    (v, t) -> v.trustStorePassword = t,
                    "Password of fetch.trustStore (none for a PEM bundle)."),
            text("fetch.trustStoreType", "", "any text (ignored)",
                    (v, t) -> v.trustStoreType = t,
                    "Ignored: the type is recognised from the file itself (PEM bundle, PKCS12 or JKS). Accepted "
                    + "so that files written for older versions still load."),

            // ---- cache: the policy cache in front of Cassandra ----
            integer("cache.nearCacheSize", CACHE.nearCacheSize(), CacheSettings.NEAR_CACHE_SIZE,
                    (v, n) -> v.cache.nearCacheSize(n),
                    "Policies kept in memory on this node in front of Cassandra."),
            duration("cache.nearCacheTtl", CACHE.nearCacheTtl(), CacheSettings.NEAR_CACHE_TTL,
                    (v, d) -> v.cache.nearCacheTtl(d),
                    "How long an in-memory entry is used without reading Cassandra again (how long another "
                    + "node's newer write may go unseen here). Past it, an entry that still holds a valid answer "
                    + "is used while Cassandra is re-read in the background (unless cache.idCheckInterval is 0)."),
            duration("cache.idCheckInterval", CACHE.idCheckInterval(), CacheSettings.ID_CHECK_INTERVAL,
                    (v, d) -> v.cache.idCheckInterval(d),
                    "Minimum time between two TXT id checks of one domain on this node (RFC 8461 §5.1). When a "
                    + "check is due and a valid policy is cached, the delivery uses it at once and the check runs "
                    + "in the background; 0s = every delivery checks the id synchronously."),
            duration("cache.lastUseWriteInterval", CACHE.lastUseWriteInterval(), CacheSettings.LAST_USE_WRITE_INTERVAL,
                    (v, d) -> v.cache.lastUseWriteInterval(d),
                    "How often the last-use time of a policy row is written (for refresher.deleteUnusedAfter)."),
            duration("cache.backoff", CACHE.backoff(), CacheSettings.BACKOFF,
                    (v, d) -> v.cache.backoff(d),
                    "After a failed fetch, no new fetch for that domain before this (RFC 8461 §3.3)."),
            integer("cache.maxConcurrentLookups", CACHE.maxConcurrentLookups(), CacheSettings.MAX_CONCURRENT_LOOKUPS,
                    (v, n) -> v.cache.maxConcurrentLookups(n),
                    "First lookups (domains not yet in this node's memory: DNS, policy host, HTTPS) running at "
                    + "once on this node. Beyond it, mail to another new domain is deferred at once (a temporary "
                    + "failure, retried later) while mail to known domains keeps flowing, so that slow or hostile "
                    + "new domains cannot hold every delivery thread. Raise it when mtasts.cache.lookup.rejected "
                    + "grows with well-behaved domains."),
            choice("cache.onStoreOutage", CACHE.onStoreOutage(),
                    words("live", CacheSettings.StoreOutage.LIVE, "defer", CacheSettings.StoreOutage.DEFER),
                    (v, m) -> v.cache.onStoreOutage(m),
                    "What happens to mail for a domain this node has no policy for in memory while Cassandra "
                    + "cannot be reached (James keeps running either way, and policies already in memory are "
                    + "applied as usual). live: the policy is looked up directly over DNS and HTTPS, enforced, "
                    + "kept in memory and written to Cassandra once it is back; mail keeps flowing and stays "
                    + "protected for domains whose policy can be fetched now, at the cost of one DNS + HTTPS "
                    + "lookup per new domain per node (a policy stored in Cassandra but not in this node's "
                    + "memory is not seen meanwhile: the domain is treated as on a first contact). defer: mail "
                    + "to such domains is deferred (temporary failure, retried by James) until Cassandra is "
                    + "back; nothing goes out without the stored policy, but new domains get no mail during "
                    + "the outage."),

            // ---- refresher: proactive refresh (RFC 8461 §5.1) ----
            bool("refresher.enabled", true,
                    (v, b) -> v.refresherEnabled = b,
                    "Refresh cached policies in the background before they expire (RFC 8461 §5.1)."),
            duration("refresher.interval", CACHE.refreshInterval(), CacheSettings.REFRESH_INTERVAL,
                    (v, d) -> v.cache.refreshInterval(d),
                    "Time between two refresher rounds."),
            duration("refresher.staleAfter", CACHE.staleAfter(), CacheSettings.STALE_AFTER,
                    (v, d) -> v.cache.staleAfter(d),
                    "A policy whose id was not checked for this long is refreshed by the next round."),
            duration("refresher.deleteUnusedAfter", CACHE.deleteUnusedAfter(), CacheSettings.DELETE_UNUSED_AFTER,
                    (v, d) -> v.cache.deleteUnusedAfter(d),
                    "Policies not used by a delivery for this long are deleted."),
            integer("refresher.concurrency", CACHE.refreshConcurrency(), CacheSettings.REFRESH_CONCURRENCY,
                    (v, n) -> v.cache.refreshConcurrency(n),
                    "Domains refreshed at once on this node."),
            duration("refresher.window", CACHE.refreshWindow(), CacheSettings.REFRESH_WINDOW,
                    (v, d) -> v.cache.refreshWindow(d),
                    "A scheduled round's work is spread over this much time, so that a round does not send its "
                    + "DNS and HTTPS requests all at once; 0s = as fast as possible."),

            // ---- dane: DNSSEC-validated lookups for DANE (RFC 7672), used by mailets with dane=follow ----
            text("dane.resolvers", "", "empty, or a comma-separated list of ip[:port] (port 53 when omitted)",
                    (v, t) -> v.dane.resolvers(HostPort.parseList(t, 53)),
                    "Recursive DNS servers asked for the MX, address and TLSA records DANE needs, each answer then "
                    + "validated here from the trust anchors (DNSSEC, RFC 4035). They must pass DNSSEC records "
                    + "through (any validating or plain recursive resolver does; some home routers and "
                    + "filtering resolvers strip them). Empty = the servers of dns.resolvers, and when that is "
                    + "empty too, the system's. At the first start of a delivery mailet with dane=follow a "
                    + "self-check validates the root's DNSKEY records through them: when it fails, DANE is "
                    + "switched off (logged as an error, gauge mtaSts.dane.active = 0) and mail flows as without "
                    + "DANE, rather than every signed domain's mail being deferred as bogus."),
            duration("dane.timeout", DANE.queryTimeout(), DaneSettings.QUERY_TIMEOUT,
                    (v, d) -> v.dane.queryTimeout(d),
                    "Time-out of one query to one server."),
            duration("dane.lookupTimeout", DANE.lookupTimeout(), DaneSettings.LOOKUP_TIMEOUT,
                    (v, d) -> v.dane.lookupTimeout(d),
                    "Bound on one whole validated lookup (the record and every DS and DNSKEY query down from "
                    + "the trust anchor). A lookup that runs out of time defers the mail (RFC 7672 §2.1.1), "
                    + "it never delivers as if the domain had no DANE."),
            text("dane.trustAnchors", "", "empty, or the path of a readable file of DS or DNSKEY records "
                    + "(zone-file format)",
                    (v, t) -> {
                        if (!t.isEmpty()) {
                            v.dane.trustAnchorsFile(Path.of(t));
                        }
                    },
                    "DNSSEC trust anchors; empty = the root zone's (IANA KSK-2017 and KSK-2024, shipped in the "
                    + "jar). Replace them after a root key rollover the jar does not know, or for a private "
                    + "DNS tree."),
            integer("dane.cacheSize", DANE.cacheSize(), DaneSettings.CACHE_SIZE,
                    (v, n) -> v.dane.cacheSize(n),
                    "Validated answers (MX, address, TLSA) kept in memory on this node, least recently used "
                    + "dropped first."),
            duration("dane.cacheMaxTtl", DANE.cacheMaxTtl(), DaneSettings.CACHE_MAX_TTL,
                    (v, d) -> v.dane.cacheMaxTtl(d),
                    "Longest time a validated answer is reused, whatever its TTL (each answer is reused for its "
                    + "own TTL at most); 0s = every delivery attempt validates again."),
            duration("dane.bogusTtl", DANE.bogusTtl(), DaneSettings.BOGUS_TTL,
                    (v, d) -> v.dane.bogusTtl(d),
                    "How long a bogus answer (DNSSEC validation failed) is reused before the zone is asked "
                    + "again (RFC 4035 §4.7). Mail to the domain is deferred meanwhile either way."),
            duration("dane.selfCheckInterval", DANE.selfCheckInterval(), DaneSettings.SELF_CHECK_INTERVAL,
                    (v, d) -> v.dane.selfCheckInterval(d),
                    "Time between two self-checks of DNSSEC validation after the first (a failing check "
                    + "switches DANE off, a passing one on again; a check that gets no answer is retried "
                    + "every 30s); 0s = only at start."),

            // ---- tlsrpt: TLS-RPT (RFC 8460), daily reports to the domains mail is delivered to ----
            bool("tlsrpt.enabled", TLSRPT.enabled(),
                    (v, b) -> v.tlsRpt.enabled(b),
                    "Record the TLS outcome of every delivery attempt and send each recipient domain that publishes a "
                    + "_smtp._tls record a daily report (RFC 8460). Off by default: reports are mail and HTTPS "
                    + "requests to third parties in this organisation's name; set tlsrpt.organizationName, "
                    + "tlsrpt.submitter and tlsrpt.sender first (the start fails without them)."),
            text("tlsrpt.organizationName", TLSRPT.organizationName(), TlsRptSettings.TEXT_RULE,
                    (v, t) -> v.tlsRpt.organizationName(t),
                    "The organization-name of every report (RFC 8460 §4.4), e.g. Example Inc. Required when "
                    + "tlsrpt.enabled=true."),
            text("tlsrpt.contactInfo", "", "empty, or " + TlsRptSettings.TEXT_RULE,
                    (v, t) -> v.tlsRpt.contactInfo(t),
                    "The contact-info of every report (RFC 8460 §4.4), e.g. a mail address; empty = tlsrpt.sender."),
            text("tlsrpt.submitter", TLSRPT.submitter(), TlsRptSettings.DOMAIN_RULE,
                    (v, t) -> v.tlsRpt.submitter(t),
                    "The submitting domain: the TLS-Report-Submitter header and the domain part of each report-id "
                    + "(RFC 8460 §5.3). Required when tlsrpt.enabled=true."),
            text("tlsrpt.sender", TLSRPT.sender(), TlsRptSettings.ADDRESS_RULE,
                    (v, t) -> v.tlsRpt.sender(t),
                    "The From address of reports sent by mail (mailto: rua). Required when tlsrpt.enabled=true. "
                    + "Sign these mails with James's DKIMSign mailet for receivers that check it."),
            duration("tlsrpt.sendDelayMin", TLSRPT.sendDelayMin(), TlsRptSettings.SEND_DELAY,
                    (v, d) -> v.tlsRpt.sendDelayMin(d),
                    "A day's reports are sent after 00:00 UTC plus a random delay of at least this (less than 12h, "
                    + "at most tlsrpt.sendDelayMax)."),
            duration("tlsrpt.sendDelayMax", TLSRPT.sendDelayMax(), TlsRptSettings.SEND_DELAY,
                    (v, d) -> v.tlsRpt.sendDelayMax(d),
                    "The largest random delay after 00:00 UTC (less than 12h, so that retries of a report fall on the same day): spreads the sending over time, "
                    + "so that receivers are not hit by every sender at midnight (RFC 8460 §4.1)."),
            integer("tlsrpt.retentionDays", TLSRPT.retentionDays(), TlsRptSettings.RETENTION_DAYS,
                    (v, n) -> v.tlsRpt.retentionDays(n),
                    "Days the recorded results are kept (for bin/mta-sts tlsrpt show and resends)."),
            bool("tlsrpt.sendSuccessOnlyReports", TLSRPT.sendSuccessOnlyReports(),
                    (v, b) -> v.tlsRpt.sendSuccessOnlyReports(b),
                    "Also report days without any failure. On by default: a domain owner in mode testing learns "
                    + "from a success-only report that enforce would be safe, and silence cannot be told from a "
                    + "sender that does not report."),
            duration("tlsrpt.httpTimeout", TLSRPT.httpTimeout(), TlsRptSettings.HTTP_TIMEOUT,
                    (v, d) -> v.tlsRpt.httpTimeout(d),
                    "Bound on one POST of a report to an https: rua (connect, TLS, request, answer)."),
            integer("tlsrpt.maxReportSize", TLSRPT.maxReportSize(), TlsRptSettings.MAX_REPORT_SIZE,
                    (v, n) -> v.tlsRpt.maxReportSize(n),
                    "Largest gzip-compressed report sent, in bytes; a larger one is not sent (logged)."),
            integer("tlsrpt.maxAttempts", TLSRPT.maxAttempts(), TlsRptSettings.MAX_ATTEMPTS,
                    (v, n) -> v.tlsRpt.maxAttempts(n),
                    "Sending attempts of one report (its rua URIs all failing) before it is given up (RFC 8460 §5.5)."),
            duration("tlsrpt.retryDelay", TLSRPT.retryDelay(), TlsRptSettings.RETRY_DELAY,
                    (v, d) -> v.tlsRpt.retryDelay(d),
                    "Time between two attempts of one report."),
            integer("tlsrpt.ruaMaxFailures", TLSRPT.ruaMaxFailures(), TlsRptSettings.RUA_MAX_FAILURES,
                    (v, n) -> v.tlsRpt.ruaMaxFailures(n),
                    "Consecutive failures of one rua URI before it is suppressed for tlsrpt.suppressFor."),
            duration("tlsrpt.suppressFor", TLSRPT.suppressFor(), TlsRptSettings.SUPPRESS_FOR,
                    (v, d) -> v.tlsRpt.suppressFor(d),
                    "How long a suppressed rua URI gets no report; 0s = never suppressed."),
            duration("tlsrpt.flushInterval", TLSRPT.flushInterval(), TlsRptSettings.FLUSH_INTERVAL,
                    (v, d) -> v.tlsRpt.flushInterval(d),
                    "How often the results counted in memory on this node are written to Cassandra (a node that "
                    + "dies loses at most this much of its counts)."),
            integer("tlsrpt.maxKeys", TLSRPT.maxKeys(), TlsRptSettings.MAX_KEYS,
                    (v, n) -> v.tlsRpt.maxKeys(n),
                    "Distinct (day, policy, failure detail) counters one node holds in memory between two writes; "
                    + "beyond it results are dropped (counted, logged). Bounds memory against receivers varying "
                    + "their names and addresses."),
            integer("tlsrpt.maxKeysPerDomain", TLSRPT.maxKeysPerDomain(), TlsRptSettings.MAX_KEYS_PER_DOMAIN,
                    (v, n) -> v.tlsRpt.maxKeysPerDomain(n),
                    "Of tlsrpt.maxKeys, the counters of one policy domain and day: one hostile domain cannot "
                    + "crowd out the others."),
            duration("tlsrpt.leaseTtl", TLSRPT.leaseTtl(), TlsRptSettings.LEASE_TTL,
                    (v, d) -> v.tlsRpt.leaseTtl(d),
                    "A node's claim to send one report; a claim older than this (its node died mid-send) is "
                    + "taken over by another node. Longer than the slowest send (tlsrpt.httpTimeout per rua)."));

    private MtaStsKeys() {
    }

    /** The words of a consistency-level key: each allowed level in lower case, in the driver's order. */
    private static Map<String, DefaultConsistencyLevel> levels(Set<DefaultConsistencyLevel> allowed) {
        Map<String, DefaultConsistencyLevel> m = new LinkedHashMap<>();
        for (DefaultConsistencyLevel l : allowed) {
            m.put(l.name().toLowerCase(Locale.ROOT), l);
        }
        return m;
    }
}
