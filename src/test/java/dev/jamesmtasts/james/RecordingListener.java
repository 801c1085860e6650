package dev.jamesmtasts.james;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** Collects every {@link DeliveryAttemptReport} of the James under test (bound by {@link TestMtaStsModule}). */
public final class RecordingListener implements DeliveryAttemptListener {
    static final List<DeliveryAttemptReport> REPORTS = new CopyOnWriteArrayList<>();

    @Override
    public void onAttempt(DeliveryAttemptReport report) {
        REPORTS.add(report);
    }

    static List<DeliveryAttemptReport> forDomain(String domain) {
        return REPORTS.stream().filter(r -> r.domain().equals(domain)).collect(Collectors.toList());
    }
}
