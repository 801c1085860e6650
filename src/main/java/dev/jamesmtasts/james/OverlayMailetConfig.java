package dev.jamesmtasts.james;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;

/**
 * A mailet configuration seen through changes: some parameters replaced or added, some hidden. Used
 * to build the two RemoteDeliveryConfiguration instances of {@link MtaStsRemoteDelivery} (the
 * usual one and the strict one for enforce) from the administrator's parameters.
 */
final class OverlayMailetConfig implements MailetConfig {
    private final MailetConfig base;
    private final Map<String, String> values = new LinkedHashMap<>();

    OverlayMailetConfig(MailetConfig base) {
        this.base = base;
        for (Iterator<String> it = base.getInitParameterNames(); it.hasNext(); ) {
            String n = it.next();
            values.put(n, base.getInitParameter(n));
        }
    }

    OverlayMailetConfig set(String name, String value) {
        values.put(name, value);
        return this;
    }

    OverlayMailetConfig setIfAbsent(String name, String value) {
        values.putIfAbsent(name, value);
        return this;
    }

    OverlayMailetConfig remove(String name) {
        values.remove(name);
        return this;
    }

    @Override
    public String getInitParameter(String name) {
        return values.get(name);
    }

    @Override
    public Iterator<String> getInitParameterNames() {
        Set<String> names = new LinkedHashSet<>(values.keySet());
        return names.iterator();
    }

    @Override
    public MailetContext getMailetContext() {
        return base.getMailetContext();
    }

    @Override
    public String getMailetName() {
        return base.getMailetName();
    }
}
