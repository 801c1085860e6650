package dev.jamesmtasts.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * {@code mta-sts jmx --jmx HOST:PORT COMMAND}: inspects and drives the policy cache of a running
 * James through the MTA-STS MBean ({@value #OBJECT_NAME}) over JMX RMI
 * ({@code service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi}, James's {@code jmx.properties} port).
 * The MBean is called as any JMX client calls it, by object name and operation name with JDK types
 * only, so that the CLI needs no class of the James layer; the names are those of
 * {@code dev.jamesmtasts.james.MtaStsMBean}, and {@code MtaStsRemoteDeliveryTest} runs this command
 * against the real MBean.
 *
 * <pre>
 * list [--after DOMAIN] [--limit N]   cached policies, one per line (page of N, default 100)
 * show DOMAIN                         one cached policy, key: value lines, then the policy text
 * refresh DOMAIN                      refresh one policy now
 * evict DOMAIN                        remove one policy from the cache
 * refresh-round                       run one refresher round now
 * counters                            cache and delivery counters
 * status                              the policy store's status and DANE's self-check (health)
 * </pre>
 * Options {@code --user U --password P} for a JMX connector with authentication.
 * Exit codes: 0 done, 1 not found / failed, 2 usage error, 3 cannot connect.
 */
public final class JmxCommand {
    /** {@code MtaStsMBean.OBJECT_NAME}: where James registers the MTA-STS MBean. */
    static final String OBJECT_NAME = "dev.jamesmtasts:type=MtaSts,name=PolicyCache";
    static final String USAGE = "usage: jmx " + JmxOptions.SYNOPSIS + " "
            + "list [--after DOMAIN] [--limit N] | show DOMAIN | refresh DOMAIN | evict DOMAIN | refresh-round | counters | status";

    private JmxCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        JmxOptions jmx = new JmxOptions();
        String after = null;
        int limit = 100;
        String command = null;
        String argument = null;
        List<String> list = Arrays.asList(args);
        if (!list.isEmpty() && list.get(0).equals("jmx")) {
            list = list.subList(1, list.size());
        }
        try {
            ArgCursor a = new ArgCursor(list);
            while (a.next()) {
                String arg = a.current();
                switch (arg) {
                    case "--after":
                        after = a.value();
                        break;
                    case "--limit":
                        limit = Integer.parseInt(a.value());
                        break;
                    default:
                        if (jmx.accept(a)) {
                            break;
                        }
                        if (arg.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + arg);
                        }
                        if (command == null) {
                            command = arg;
                        } else if (argument == null) {
                            argument = arg;
                        } else {
                            throw new IllegalArgumentException("unexpected argument " + arg);
                        }
                }
            }
            if (jmx.target() == null || command == null) {
                throw new IllegalArgumentException("--jmx HOST:PORT and a command are required");
            }
            boolean needsDomain = command.equals("show") || command.equals("refresh") || command.equals("evict");
            if (needsDomain != (argument != null)) {
                throw new IllegalArgumentException(needsDomain ? command + " needs a DOMAIN" : command + " takes no argument");
            }
        } catch (IllegalArgumentException | UsageException e) {
            err.println("jmx: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        final String cmd = command;
        final String arg = argument;
        final String afterDomain = after;
        final int pageSize = limit;
        return jmx.connect("jmx", command, err,
                (connection, name) -> execute(new MBean(connection, name), cmd, arg, afterDomain, pageSize, out, err));
    }

    /** Calls the MTA-STS MBean through a connection; returns the exit status. */
    interface MBeanCall {
        int run(MBeanServerConnection connection, ObjectName name) throws JMException, IOException;
    }

    /**
     * Connects to the JMX agent at {@code target}, checks that the MTA-STS MBean is registered and runs
     * {@code call}; failures are printed after {@code prefix}: exit 1 failed, 2 bad target, 3 unreachable.
     * Messages from the MBean are shown escaped ({@link SafeText#display}).
     */
    static int connected(String prefix, String target, String user, String password, String command, PrintStream err,
                         MBeanCall call) {
        JMXServiceURL url;
        try {
            url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + target + "/jmxrmi");
        } catch (IOException e) {
            err.println(prefix + ": bad HOST:PORT '" + target + "': " + e.getMessage());
            return 2;
        }
        Map<String, Object> env = user == null ? null : Map.of(JMXConnector.CREDENTIALS, new String[] {user, password});
        try (JMXConnector connector = JMXConnectorFactory.connect(url, env)) {
            MBeanServerConnection connection = connector.getMBeanServerConnection();
            ObjectName name = new ObjectName(OBJECT_NAME);
            if (!connection.isRegistered(name)) {
                err.println(prefix + ": " + OBJECT_NAME + " is not registered at " + target
                        + " (is the MTA-STS extension loaded?)");
                return 1;
            }
            return call.run(connection, name);
        } catch (IOException e) {
            err.println(prefix + ": cannot connect to " + target + ": " + e.getMessage());
            return 3;
        } catch (MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        } catch (MBeanException e) {
            err.println(prefix + ": " + command + " failed: " + SafeText.display(String.valueOf(e.getTargetException().getMessage())));
            return 1;
        } catch (RuntimeMBeanException e) {
            err.println(prefix + ": " + command + " failed: " + SafeText.display(String.valueOf(e.getTargetException().getMessage())));
            return 1;
        } catch (JMException | RuntimeException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            err.println(prefix + ": " + command + " failed: " + SafeText.display(String.valueOf(c.getMessage())));
            return 1;
        }
    }

    /** The MTA-STS MBean's operations, called by name with JDK types only. */
    private static final class MBean {
        private static final String STRING = String.class.getName();
        private final MBeanServerConnection connection;
        private final ObjectName name;

        MBean(MBeanServerConnection connection, ObjectName name) {
            this.connection = connection;
            this.name = name;
        }

        @SuppressWarnings("unchecked")
        List<Map<String, String>> listPolicies(String afterDomain, int limit) throws JMException, IOException {
            return (List<Map<String, String>>) connection.invoke(name, "listPolicies",
                    new Object[] {afterDomain, limit}, new String[] {STRING, int.class.getName()});
        }

        Map<String, String> showPolicy(String domain) throws JMException, IOException {
            return stringMap(connection.invoke(name, "showPolicy", new Object[] {domain}, new String[] {STRING}));
        }

        Map<String, String> refreshPolicy(String domain) throws JMException, IOException {
            return stringMap(connection.invoke(name, "refreshPolicy", new Object[] {domain}, new String[] {STRING}));
        }

        boolean evictPolicy(String domain) throws JMException, IOException {
            return (Boolean) connection.invoke(name, "evictPolicy", new Object[] {domain}, new String[] {STRING});
        }

        Map<String, String> runRefresherRound() throws JMException, IOException {
            return stringMap(connection.invoke(name, "runRefresherRound", new Object[0], new String[0]));
        }

        @SuppressWarnings("unchecked")
        Map<String, Long> getCounters() throws JMException, IOException {
            return (Map<String, Long>) connection.getAttribute(name, "Counters");
        }

        String getStoreStatus() throws JMException, IOException {
            return String.valueOf(connection.getAttribute(name, "StoreStatus"));
        }

        Map<String, String> getDaneStatus() throws JMException, IOException {
            return stringMap(connection.getAttribute(name, "DaneStatus"));
        }

        @SuppressWarnings("unchecked")
        private static Map<String, String> stringMap(Object o) {
            return (Map<String, String>) o;
        }
    }

    private static int execute(MBean mbean, String command, String domain, String after, int limit,
                               PrintStream out, PrintStream err) throws JMException, IOException {
        switch (command) {
            case "list": {
                List<Map<String, String>> rows = mbean.listPolicies(after == null ? "" : after, limit);
                for (Map<String, String> row : rows) {
                    out.println(CliJson.rowLine(row));
                }
                if (rows.size() == limit) {
                    out.println("# more: --after " + rows.get(rows.size() - 1).get(StoredPolicyView.DOMAIN));
                }
                return 0;
            }
            case "show": {
                Map<String, String> row = mbean.showPolicy(domain);
                if (row.isEmpty()) {
                    err.println("jmx: no cached policy for " + domain);
                    return 1;
                }
                printRow(row, out);
                return 0;
            }
            case "refresh":
                printRow(mbean.refreshPolicy(domain), out);
                return 0;
            case "evict":
                if (mbean.evictPolicy(domain)) {
                    out.println("evicted " + domain);
                    return 0;
                }
                err.println("jmx: no cached policy for " + domain);
                return 1;
            case "refresh-round":
                printRow(mbean.runRefresherRound(), out);
                return 0;
            case "counters":
                mbean.getCounters().forEach((k, v) -> out.println(SafeText.display(k) + ": " + v));
                return 0;
            case "status":
                // what WebAdmin GET /mta-sts/health says, over JMX: the store, then DANE (health first)
                out.println("store: " + SafeText.display(mbean.getStoreStatus()));
                mbean.getDaneStatus().forEach((k, v) -> {
                    if (v != null && !v.isEmpty()) {
                        out.println("dane." + SafeText.display(k) + ": " + SafeText.display(v));
                    }
                });
                return 0;
            default:
                err.println("jmx: unknown command " + command);
                err.println(USAGE);
                return 2;
        }
    }

    private static void printRow(Map<String, String> row, PrintStream out) {
        String policy = null;
        for (Map.Entry<String, String> e : row.entrySet()) {
            if (e.getKey().equals(StoredPolicyView.POLICY_TEXT)) {
                policy = e.getValue();
            } else {
                out.println(e.getKey() + ": " + SafeText.display(e.getValue(), Integer.MAX_VALUE));
            }
        }
        if (policy != null) {
            // The MBean shows it escaped already; escaping is idempotent, so an older James's raw text
            // is made safe here too.
            String shown = SafeText.lines(policy);
            out.println();
            out.print(shown.endsWith("\n") ? shown : shown + "\n");
        }
    }
}
