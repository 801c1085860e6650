package dev.jamesmtasts.james;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import dev.jamesmtasts.mtasts.MxLookup;

/**
 * Where {@link DomainCheck} finds the MX hosts of a domain and their addresses, in the order the next
 * delivery attempt would try them: James's own resolution when the check runs inside James
 * ({@link JamesMxTargets}, the mailet's), plain DNS through the configured resolvers for the command-line
 * tool ({@link #dns}).
 */
public interface MxTargets {
    /**
     * The MX hosts of {@code domain}, at most {@value DomainCheck#MAX_MX} (a domain listing hundreds gets
     * its first ones looked at), looked up no later than {@code deadlineNanos} where the source allows it.
     */
    Hosts find(String domain, long deadlineNanos);

    /** What the MX lookup came to. */
    final class Hosts {
        /** The lookup's outcome. */
        public enum Status {
            /** Hosts to try ({@link #targets()}). */
            FOUND,
            /** The domain accepts no mail (null MX, RFC 7505) or does not exist: the attempt fails. */
            NONE,
            /** No answer now: the attempt is deferred. */
            TEMPORARY
        }

        private final Status status;
        private final String detail;
        private final List<Target> targets;

        public Hosts(Status status, String detail, List<Target> targets) {
            this.status = status;
            this.detail = detail;
            this.targets = List.copyOf(targets);
        }

        public Status status() {
            return status;
        }

        /** What was found, in words (escaped). */
        public String detail() {
            return detail;
        }

        public List<Target> targets() {
            return targets;
        }
    }

    /** One MX host: its name, its preference when known (-1 otherwise), its addresses with the SMTP port. */
    final class Target {
        private final String host;
        private final int preference;
        private final List<InetSocketAddress> addresses;
        private final String addressError;

        /** @param addresses null: not resolved yet ({@link MxTargets#resolve}) */
        public Target(String host, int preference, List<InetSocketAddress> addresses, String addressError) {
            this.host = host;
            this.preference = preference;
            this.addresses = addresses == null ? null : List.copyOf(addresses);
            this.addressError = addressError;
        }

        public String host() {
            return host;
        }

        public int preference() {
            return preference;
        }

        /** The addresses to connect to, in order; null until resolved. */
        public List<InetSocketAddress> addresses() {
            return addresses;
        }

        /** Why there is no address (escaped), or null. */
        public String addressError() {
            return addressError;
        }
    }

    /**
     * {@code target} with its addresses, when {@link #find} left them to be resolved (null), asked no later
     * than {@code deadlineNanos}. Called once per target, concurrently for several targets.
     */
    default Target resolve(Target target, long deadlineNanos) {
        return target;
    }

    /**
     * Plain DNS through {@code lookup} (RFC 5321 §5.1: MX in preference order, the domain itself without
     * MX records), addresses A then AAAA, all at {@code port} (25; another for tests and lab setups).
     */
    static MxTargets dns(MxLookup lookup, int port) {
        return new MxTargets() {
            @Override
            public Hosts find(String domain, long deadline) {
                MxLookup.Result r = lookup.mx(domain);
                switch (r.kind()) {
                    case TEMPORARY:
                        return new Hosts(Hosts.Status.TEMPORARY, r.detail(), List.of());
                    case NULL_MX:
                    case NXDOMAIN:
                        return new Hosts(Hosts.Status.NONE, r.detail(), List.of());
                    default:
                        break;
                }
                List<Target> targets = new ArrayList<>();
                for (MxLookup.Host h : r.hosts()) {
                    if (targets.size() == DomainCheck.MAX_MX) {
                        break;
                    }
                    targets.add(new Target(h.name(), h.preference(), null, null));
                }
                String detail = r.detail() + (r.hosts().size() > targets.size()
                        ? ", the first " + targets.size() + " looked at" : "");
                return new Hosts(Hosts.Status.FOUND, detail, targets);
            }

            @Override
            public Target resolve(Target t, long deadline) {
                StringBuilder why = new StringBuilder();
                List<InetSocketAddress> addresses = new ArrayList<>();
                for (InetAddress a : lookup.addresses(t.host(), deadline, why)) {
                    addresses.add(new InetSocketAddress(a, port));
                }
                return new Target(t.host(), t.preference(), addresses, addresses.isEmpty() ? why.toString() : null);
            }
        };
    }
}
