package dev.jamesmtasts.james;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.apache.james.transport.mailets.remote.delivery.DnsHelper;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.HostAddress;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * The hosts the delivery mailet would try for a domain, found exactly as its {@code MailDelivrer} finds
 * them: James's {@link DnsHelper} over James's {@link DNSService} with the mailet's configuration (MX
 * order, addresses, the gateway when one is configured, {@code host:port} MX entries). Built by
 * {@link MtaStsRemoteDelivery} for {@link DomainCheck}.
 */
final class JamesMxTargets implements MxTargets {
    private final DnsHelper helper;
    private final boolean ssl;

    JamesMxTargets(DNSService dns, RemoteDeliveryConfiguration configuration) {
        this.helper = new DnsHelper(dns, configuration);
        this.ssl = configuration.isSSLEnable();
    }

    @Override
    public Hosts find(String domain, long deadlineNanos) {
        Map<String, List<InetSocketAddress>> byHost = new LinkedHashMap<>();
        boolean more = false;
        try {
            Iterator<HostAddress> it = helper.retrieveHostAddressIterator(domain, ssl);
            while (it.hasNext()) {
                HostAddress a = it.next();
                String name = PolicyAwareMailDelivrerToHost.hostName(a);
                if (!byHost.containsKey(name) && byHost.size() == DomainCheck.MAX_MX) {
                    more = true;
                    break;
                }
                // HostAddress carries the address James resolved as an IP literal: no lookup here
                byHost.computeIfAbsent(name, k -> new ArrayList<>()).add(new InetSocketAddress(a.getHost(), a.getPort()));
            }
        } catch (TemporaryResolutionException e) {
            return new Hosts(Hosts.Status.TEMPORARY, "James's DNS service: " + SafeText.of(e.getMessage(), 300), List.of());
        }
        if (byHost.isEmpty()) {
            return new Hosts(Hosts.Status.NONE, "James's DNS service found no MX host and no address", List.of());
        }
        List<Target> targets = new ArrayList<>();
        for (Map.Entry<String, List<InetSocketAddress>> e : byHost.entrySet()) {
            targets.add(new Target(e.getKey(), -1, e.getValue(), null));
        }
        return new Hosts(Hosts.Status.FOUND, targets.size() + " host(s) from James's DNS service"
                + (more ? ", the first " + targets.size() + " looked at" : ""), targets);
    }
}
