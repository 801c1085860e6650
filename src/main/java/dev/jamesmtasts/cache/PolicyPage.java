package dev.jamesmtasts.cache;

import java.util.List;

/** One page of {@link PolicyCache#list}: the rows and the token of the next page (null on the last). */
public final class PolicyPage {
    private final List<StoredPolicy> items;
    private final String nextToken;

    PolicyPage(List<StoredPolicy> items, String nextToken) {
        this.items = List.copyOf(items);
        this.nextToken = nextToken;
    }

    public List<StoredPolicy> items() {
        return items;
    }

    /** Opaque token for the next page, or null when this is the last page. */
    public String nextToken() {
        return nextToken;
    }
}
