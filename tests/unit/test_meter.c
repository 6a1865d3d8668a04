/*
 * test_meter.c - the forwarder's bandwidth meters (dataplane/meter.c), on a
 * fake clock: a policer holds its committed rate under three times the
 * load, lets a full bucket through and then paces, keeps its tokens across
 * a rate change; per-flow caps give each flow its own 1/12 of the VBR and
 * idle flows give their slots back; the shaper sends under-rate traffic at
 * once, releases over-rate traffic in order at the committed rate with
 * bounded delay, and drops and counts what its queue cannot hold; the
 * per-second statistics read a steady stream's rate, a known P95, idle
 * seconds as zero, and wrap after 300 seconds; a reader thread never sees
 * a second the writer is reusing; the registry exports snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <cmocka.h>

#include "core/err.h"
#include "dataplane/meter.h"

#define MS   1000000ull
#define SEC  1000000000ull
#define MBPS 1000000ull

/* Nanoseconds between packets of pkt bytes at rate_bps (exact in these
 * tests). */
static uint64_t
gap_ns(uint32_t pkt, uint64_t rate_bps)
{
	return (uint64_t)pkt * 8 * SEC / rate_bps;
}

static void
assert_within_1pct(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	if (d * 100 > want)
		fail_msg("%llu is not within 1%% of %llu",
			 (unsigned long long)got, (unsigned long long)want);
}

static void *
handle(uint32_t i)
{
	return (void *)(uintptr_t)i;
}

static uint32_t
handle_no(void *h)
{
	return (uint32_t)(uintptr_t)h;
}

/* Offers pkt-byte packets at offered_bps to tb from t0 for dur_ns; returns
 * the bytes that conformed. */
static uint64_t
offer_tb(struct meter_tb *tb, uint64_t t0, uint64_t dur_ns, uint32_t pkt,
	 uint64_t offered_bps)
{
	uint64_t t, gap = gap_ns(pkt, offered_bps), passed = 0;

	for (t = t0; t < t0 + dur_ns; t += gap)
		if (meter_tb_take(tb, t, pkt))
			passed += pkt;
	return passed;
}

/* Sends n packets back to back at t; returns how many conformed. */
static unsigned
burst_tb(struct meter_tb *tb, uint64_t t, unsigned n, uint32_t pkt)
{
	unsigned i, ok = 0;

	for (i = 0; i < n; i++)
		ok += meter_tb_take(tb, t, pkt);
	return ok;
}

static void
test_tb_passes_committed_rate_within_1pct_under_threefold_load(void **state)
{
	struct meter_tb tb;
	uint64_t passed;

	(void)state;
	assert_int_equal(meter_tb_init(&tb, 100 * MBPS, 0, 1 * SEC), 0);
	passed = offer_tb(&tb, 1 * SEC, 10 * SEC, 1500, 300 * MBPS);
	assert_within_1pct(passed * 8 / 10, 100 * MBPS);
	/* and never more than the rate plus one burst */
	assert_true(passed <= 100 * MBPS / 8 * 10 + tb.r.burst_bytes);
}

static void
test_tb_burst_passes_a_full_bucket_back_to_back_then_paces(void **state)
{
	struct meter_tb tb;
	uint64_t t = 5 * SEC;

	(void)state;
	assert_int_equal(meter_burst_default(100 * MBPS), 125000);
	assert_int_equal(meter_burst_default(1 * MBPS), 2 * METER_FRAME);
	assert_int_equal(meter_burst_default(METER_RATE_MAX), METER_BURST_MAX);

	/* 125000 bytes hold 83 packets of 1500, with 500 bytes left */
	assert_int_equal(meter_tb_init(&tb, 100 * MBPS, 0, t), 0);
	assert_int_equal(burst_tb(&tb, t, 100, 1500), 83);
	/* the next needs 1000 more bytes: 80 us at 100 Mbit/s */
	assert_false(meter_tb_take(&tb, t + 80000 - 1, 1500));
	assert_true(meter_tb_take(&tb, t + 80000, 1500));
	/* then one every 120 us */
	assert_false(meter_tb_take(&tb, t + 200000 - 1, 1500));
	assert_true(meter_tb_take(&tb, t + 200000, 1500));
	/* an idle bucket fills to the burst, not beyond */
	assert_int_equal(burst_tb(&tb, t + 10 * SEC, 100, 1500), 83);

	/* long idle times at 100 Gbit/s (1e20 token units earned and more,
	 * past 64 bits) still leave exactly a full bucket: 125 MB, 83333
	 * packets */
	assert_int_equal(meter_tb_init(&tb, 100000 * MBPS, 0, t), 0);
	assert_int_equal(burst_tb(&tb, t, 100000, 1500), 83333);
	assert_int_equal(burst_tb(&tb, t + 1000 * SEC, 100000, 1500), 83333);
	assert_int_equal(burst_tb(&tb, t + 4600 * SEC, 100000, 1500), 83333);

	/* a configured burst */
	assert_int_equal(meter_tb_init(&tb, 100 * MBPS, 3000, t), 0);
	assert_int_equal(burst_tb(&tb, t, 10, 1500), 2);

	/* a jumbo frame above the burst goes when the bucket is full, and
	 * its debt is repaid: 1 Mbit/s, burst 3028, 9000 bytes leave
	 * -5972; a 1500-byte packet needs 7472 bytes more, 59.776 ms */
	assert_int_equal(meter_tb_init(&tb, 1 * MBPS, 0, t), 0);
	assert_true(meter_tb_take(&tb, t, 9000));
	assert_false(meter_tb_take(&tb, t + 59776000 - 1, 1500));
	assert_true(meter_tb_take(&tb, t + 59776000, 1500));

	/* time going backwards earns nothing and breaks nothing */
	assert_int_equal(meter_tb_init(&tb, 100 * MBPS, 3000, t), 0);
	assert_int_equal(burst_tb(&tb, t, 2, 1500), 2);
	assert_false(meter_tb_take(&tb, t - SEC, 1500));
	assert_true(meter_tb_take(&tb, t + 120000, 1500));
}

static void
test_tb_rate_change_credits_the_old_rate_and_keeps_the_tokens(void **state)
{
	struct meter_tb tb;
	uint64_t t = 1 * SEC, passed;

	(void)state;
	/* burst 150000: exactly 100 packets, so the bucket drains to 0 */
	assert_int_equal(meter_tb_init(&tb, 100 * MBPS, 150000, t), 0);
	assert_int_equal(burst_tb(&tb, t, 200, 1500), 100);
	/* 1 ms later the bucket holds 12500 bytes earned at 100 Mbit/s (at
	 * the new 200 Mbit/s it would be 25000) */
	t += 1 * MS;
	assert_int_equal(meter_tb_set_rate(&tb, t, 200 * MBPS, 150000), 0);
	assert_int_equal(burst_tb(&tb, t, 100, 1500), 8);
	/* and from now on tokens come at 200 Mbit/s: 500 bytes left, 1000
	 * more in 40 us */
	assert_false(meter_tb_take(&tb, t + 40000 - 1, 1500));
	assert_true(meter_tb_take(&tb, t + 40000, 1500));

	/* a full bucket is cut to the new, smaller burst (10 Mbit/s: 12500
	 * bytes, 8 packets) */
	t += 1 * SEC;
	assert_int_equal(meter_tb_set_rate(&tb, t, 10 * MBPS, 0), 0);
	assert_int_equal(tb.r.burst_bytes,
			 2 * METER_FRAME > 12500 ? 2 * METER_FRAME : 12500);
	assert_int_equal(burst_tb(&tb, t, 100, 1500), 8);

	/* a bad rate leaves the bucket as it was */
	assert_int_equal(meter_tb_set_rate(&tb, t, 0, 0), -CEN_ERANGE);
	assert_int_equal(meter_tb_set_rate(&tb, t, METER_RATE_MAX + 1, 0),
			 -CEN_ERANGE);
	assert_int_equal(meter_tb_set_rate(&tb, t, MBPS, METER_BURST_MAX + 1),
			 -CEN_ERANGE);
	assert_int_equal(tb.r.rate_bps, 10 * MBPS);

	/* the sustained rate follows the change */
	assert_int_equal(meter_tb_set_rate(&tb, t, 50 * MBPS, 0), 0);
	passed = offer_tb(&tb, t, 4 * SEC, 1500, 300 * MBPS);
	assert_within_1pct(passed * 8 / 4, 50 * MBPS);
}

static void
test_flows_cap_each_flow_at_a_twelfth_of_the_vbr(void **state)
{
	struct meter_flows fl;
	struct meter m;
	struct meter_snap snap;
	struct cen_err err;
	uint64_t t, t0 = 2 * SEC, passed[3] = { 0 }, offered = 0;
	uint64_t gap = gap_ns(1500, 300 * MBPS);
	unsigned k = 0;

	(void)state;
	assert_int_equal(meter_flows_init(&fl, 0, 0), 0);
	assert_int_equal(meter_init(&m,
				    &(struct meter_config){
					    .id = "vbr-dc1/flows",
					    .kind = METER_KIND_FLOW_CAP,
					    .committed_bps = 1200 * MBPS,
					    .flows = &fl,
				    },
				    t0, &err),
			 0);
	/* two flows from one VPC to the VBR, 300 Mbit/s each, and a third at
	 * 50 Mbit/s, under the cap */
	for (t = t0; t < t0 + 5 * SEC; t += gap, k++) {
		if (meter_flow(&m, t, 0xa1b2c3d4, 10, 20, 1500))
			passed[0] += 1500;
		if (meter_flow(&m, t, 0x5e6f7081, 10, 20, 1500))
			passed[1] += 1500;
		if (k % 6 != 0)
			continue;
		offered += 1500;
		if (meter_flow(&m, t, 0x11111111, 10, 20, 1500))
			passed[2] += 1500;
	}
	assert_within_1pct(passed[0] * 8 / 5, 100 * MBPS);
	assert_within_1pct(passed[1] * 8 / 5, 100 * MBPS);
	assert_int_equal(passed[2], offered);

	meter_snapshot(&m, t, 1, &snap);
	assert_int_equal(snap.committed_bps, 1200 * MBPS);
	assert_int_equal(snap.limit_bps, 100 * MBPS);
	assert_within_1pct(snap.rate_bps, 250 * MBPS);
	assert_true(snap.drop_pkts > 0);
	assert_int_equal(snap.pass_bytes, passed[0] + passed[1] + passed[2]);

	/* the VBR's bandwidth doubles: so does each flow's cap */
	assert_int_equal(meter_set_rate(&m, t, 2400 * MBPS, 0), 0);
	passed[0] = 0;
	for (t0 = t; t < t0 + 2 * SEC; t += gap)
		if (meter_flow(&m, t, 0xa1b2c3d4, 10, 20, 1500))
			passed[0] += 1500;
	assert_within_1pct(passed[0] * 8 / 2, 200 * MBPS);
	meter_fini(&m);
	meter_flows_fini(&fl);
}

static void
test_flows_same_hash_between_other_attachments_is_another_flow(void **state)
{
	struct meter_flows fl;
	struct meter_rate cap;
	uint64_t t = 3 * SEC;
	unsigned i, a = 0, b = 0;

	(void)state;
	assert_int_equal(meter_flows_init(&fl, 64, 0), 0);
	assert_int_equal(meter_rate_init(&cap, 100 * MBPS, 15000), 0);
	for (i = 0; i < 20; i++)
		a += meter_flows_take(&fl, &cap, t, 7, 1, 2, 1500);
	for (i = 0; i < 20; i++)
		b += meter_flows_take(&fl, &cap, t, 7, 3, 2, 1500);
	assert_int_equal(a, 10);
	assert_int_equal(b, 10);
	meter_flows_fini(&fl);
}

static void
test_flows_idle_entries_expire_and_free_their_slots(void **state)
{
	struct meter_flows fl;
	struct meter_flows_counters c;
	struct meter_rate cap;
	uint64_t t0 = 1 * SEC;
	uint32_t i;

	(void)state;
	assert_int_equal(meter_flows_init(&fl, 12, 0), -CEN_ERANGE);
	assert_int_equal(meter_flows_init(&fl, 4, 0), -CEN_ERANGE);
	/* one set of 8: every flow competes for the same entries */
	assert_int_equal(meter_flows_init(&fl, 8, 1 * SEC), 0);
	assert_int_equal(meter_rate_init(&cap, 100 * MBPS, 0), 0);
	for (i = 0; i < 8; i++)
		assert_true(meter_flows_take(&fl, &cap, t0 + i, i, 1, 2, 100));
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.nslots, 8);
	assert_int_equal(c.used, 8);
	assert_int_equal(c.inserted, 8);
	assert_int_equal(c.evicted, 0);

	/* a ninth live flow takes the least recently seen entry (flow 0) */
	assert_true(meter_flows_take(&fl, &cap, t0 + 100, 8, 1, 2, 100));
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.inserted, 9);
	assert_int_equal(c.evicted, 1);
	for (i = 1; i <= 8; i++)
		meter_flows_take(&fl, &cap, t0 + 200, i, 1, 2, 100);
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.inserted, 9); /* flows 1..8 were still there */
	assert_int_equal(c.used, 8);

	/* after a second of silence new flows take the idle entries without
	 * evicting anyone */
	for (i = 100; i < 108; i++)
		meter_flows_take(&fl, &cap, t0 + 2 * SEC, i, 1, 2, 100);
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.inserted, 17);
	assert_int_equal(c.evicted, 1);
	assert_int_equal(c.expired, 8);
	assert_int_equal(c.used, 8);

	/* the sweep frees idle entries, a bounded number per call */
	assert_int_equal(meter_flows_expire(&fl, t0 + 2 * SEC + 1, 8), 0);
	assert_int_equal(meter_flows_expire(&fl, t0 + 4 * SEC, 3), 3);
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.used, 5);
	assert_int_equal(meter_flows_expire(&fl, t0 + 4 * SEC, 100), 5);
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.used, 0);
	assert_int_equal(c.expired, 16);
	/* and the slots are free for new flows */
	assert_true(meter_flows_take(&fl, &cap, t0 + 5 * SEC, 555, 1, 2, 100));
	meter_flows_get_counters(&fl, &c);
	assert_int_equal(c.used, 1);
	assert_int_equal(c.expired, 16);
	assert_int_equal(c.evicted, 1);
	meter_flows_fini(&fl);
}

static void
test_shaper_sends_under_rate_traffic_at_once(void **state)
{
	struct meter_shaper sh;
	uint64_t t, t0 = 7 * SEC, qb;
	uint32_t i = 0, qp;

	(void)state;
	assert_int_equal(meter_shaper_init(&sh,
					   &(struct meter_shaper_config){
						   .rate_bps = 100 * MBPS,
					   },
					   t0),
			 0);
	for (t = t0; t < t0 + 1 * SEC; t += gap_ns(1500, 50 * MBPS))
		assert_int_equal(
			meter_shaper_enqueue(&sh, t, handle(i++), 1500),
			METER_SENT_NOW);
	assert_int_equal(i, 4167);
	assert_true(meter_shaper_next_ns(&sh) == METER_NEVER);
	meter_shaper_depth(&sh, &qp, &qb);
	assert_int_equal(qp, 0);
	assert_int_equal(qb, 0);
	meter_shaper_fini(&sh);
}

static void
test_shaper_releases_queued_packets_in_order_at_the_rate(void **state)
{
	struct meter_shaper sh;
	void *out[64];
	uint64_t t0 = 9 * SEC, t, next, bytes = 0;
	uint32_t i, want, qp;
	size_t n;

	(void)state;
	assert_int_equal(meter_shaper_init(&sh,
					   &(struct meter_shaper_config){
						   .rate_bps = 100 * MBPS,
						   .max_bytes = 10000000,
					   },
					   t0),
			 0);
	/* 500 packets at once: the burst (83) goes, the rest waits */
	for (i = 1; i <= 500; i++)
		assert_int_equal(meter_shaper_enqueue(&sh, t0, handle(i), 1500),
				 i <= 83 ? METER_SENT_NOW : METER_QUEUED);
	meter_shaper_depth(&sh, &qp, &bytes);
	assert_int_equal(qp, 417);
	assert_int_equal(bytes, 417 * 1500);

	/* 500 bytes are left; the head needs 1000 more: 80 us */
	next = meter_shaper_next_ns(&sh);
	assert_int_equal(next, t0 + 80000);
	assert_int_equal(meter_shaper_dequeue(&sh, next - 1, out, 64, NULL), 0);
	assert_int_equal(meter_shaper_next_ns(&sh), next);
	/* then one packet at each next_ns, 120 us apart, in order */
	want = 84;
	for (i = 0; i < 100; i++) {
		bytes = 0;
		n = meter_shaper_dequeue(&sh, next, out, 64, &bytes);
		assert_int_equal(n, 1);
		assert_int_equal(bytes, 1500);
		assert_int_equal(handle_no(out[0]), want++);
		t = next;
		next = meter_shaper_next_ns(&sh);
		assert_int_equal(next, t + 120000);
	}
	/* a late dequeue takes what 1.2 ms earned: 10, in order */
	t += 10 * 120000;
	n = meter_shaper_dequeue(&sh, t, out, 64, NULL);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++)
		assert_int_equal(handle_no(out[i]), want++);
	/* max bounds a dequeue; the rest stays for the next */
	t += 10 * 120000;
	assert_int_equal(meter_shaper_dequeue(&sh, t, out, 4, NULL), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(handle_no(out[i]), want++);
	assert_int_equal(meter_shaper_next_ns(&sh), t);
	assert_int_equal(meter_shaper_dequeue(&sh, t, out, 64, NULL), 6);
	want += 6;
	/* arrivals queue behind waiting packets even if tokens allow them */
	t += 10 * SEC;
	assert_int_equal(meter_shaper_enqueue(&sh, t, handle(9999), 1500),
			 METER_QUEUED);
	/* flush gives back every handle, in order */
	bytes = 0;
	while ((n = meter_shaper_flush(&sh, out, 64, &bytes)) > 0)
		for (i = 0; i < n; i++, want++)
			assert_int_equal(handle_no(out[i]),
					 want <= 500 ? want : 9999);
	assert_int_equal(want, 502);
	assert_int_equal(bytes, (500 - 204 + 1 + 1) * 1500);
	assert_true(meter_shaper_next_ns(&sh) == METER_NEVER);
	meter_shaper_fini(&sh);
}

/* 200 Mbit/s offered to a 100 Mbit/s BACKBONE meter with the default queue
 * for 3 s, dequeued whenever the shaper says: it carries 100 Mbit/s, in
 * order, never holding a packet more than the 50 ms its queue is sized
 * for, and drops the rest. */
static void
test_shaper_overload_costs_bounded_latency_then_drops(void **state)
{
	enum {
		NPKT = 50000
	};
	static uint64_t arrived[NPKT + 1];
	struct meter m;
	struct meter_snap snap;
	struct cen_err err;
	void *out[32];
	uint64_t t0 = 11 * SEC, tin, next, now = t0, delay, max_delay = 0;
	uint64_t gap = gap_ns(1500, 200 * MBPS), sent = 0;
	uint32_t i = 1, last = 0, k;
	size_t n;

	(void)state;
	assert_int_equal(meter_init(&m,
				    &(struct meter_config){
					    .id = "bwp-cn-eu",
					    .kind = METER_KIND_BACKBONE,
					    .committed_bps = 100 * MBPS,
				    },
				    t0, &err),
			 0);
	assert_int_equal(m.u.sh.max_pkts, METER_SHAPER_PKTS);
	assert_int_equal(m.u.sh.max_bytes, 625000);
	tin = t0;
	for (;;) {
		next = meter_shaper_next_ns(&m.u.sh);
		if (i <= NPKT && tin <= next) {
			now = tin;
			arrived[i] = now;
			switch (meter_shape(&m, now, handle(i), 1500)) {
			case METER_SENT_NOW:
				assert_true(i > last);
				last = i;
				sent += 1500;
				break;
			case METER_QUEUED:
			case METER_DROPPED:
				break;
			}
			i++;
			tin += gap;
			continue;
		}
		if (next == METER_NEVER)
			break;
		now = next;
		n = meter_release(&m, now, out, 32);
		assert_true(n > 0);
		for (k = 0; k < n; k++) {
			assert_true(handle_no(out[k]) > last);
			last = handle_no(out[k]);
			delay = now - arrived[last];
			if (delay > max_delay)
				max_delay = delay;
			sent += 1500;
		}
	}
	/* 50000 packets over 3 s; the queue drains 50 ms after the last */
	assert_within_1pct(sent * 8 * SEC / (now - t0), 100 * MBPS);
	assert_true(max_delay <= 50 * MS);
	assert_true(max_delay > 40 * MS);
	meter_snapshot(&m, now, 1, &snap);
	assert_int_equal(snap.pass_bytes, sent);
	assert_int_equal(snap.pass_pkts + snap.drop_pkts, NPKT);
	assert_true(snap.drop_pkts > 0);
	assert_int_equal(snap.queue_pkts, 0);
	meter_fini(&m);
}

static void
test_shaper_queue_bound_drops_the_excess_and_counts_it(void **state)
{
	struct meter m;
	struct meter_shaper sh;
	struct meter_snap snap;
	struct cen_err err;
	uint64_t t0 = 13 * SEC;
	unsigned i, v[4] = { 0 };

	(void)state;
	/* the packet bound: 2 go (burst 3000), 16 wait, 12 are dropped */
	assert_int_equal(meter_init(&m,
				    &(struct meter_config){
					    .id = "bwp-1",
					    .kind = METER_KIND_BACKBONE,
					    .committed_bps = 100 * MBPS,
					    .burst_bytes = 3000,
					    .queue_pkts = 16,
				    },
				    t0, &err),
			 0);
	for (i = 1; i <= 30; i++)
		v[meter_shape(&m, t0, handle(i), 1500)]++;
	assert_int_equal(v[METER_SENT_NOW], 2);
	assert_int_equal(v[METER_QUEUED], 16);
	assert_int_equal(v[METER_DROPPED], 12);
	meter_snapshot(&m, t0, 1, &snap);
	assert_string_equal(snap.id, "bwp-1");
	assert_int_equal(snap.kind, METER_KIND_BACKBONE);
	assert_int_equal(snap.pass_pkts, 2);
	assert_int_equal(snap.pass_bytes, 3000);
	assert_int_equal(snap.drop_pkts, 12);
	assert_int_equal(snap.drop_bytes, 12 * 1500);
	assert_int_equal(snap.queue_pkts, 16);
	assert_int_equal(snap.queue_bytes, 16 * 1500);
	meter_fini(&m);

	/* the byte bound: 6000 bytes hold 4 packets */
	assert_int_equal(meter_shaper_init(&sh,
					   &(struct meter_shaper_config){
						   .rate_bps = 100 * MBPS,
						   .burst_bytes = 3000,
						   .max_bytes = 6000,
					   },
					   t0),
			 0);
	memset(v, 0, sizeof(v));
	for (i = 1; i <= 10; i++)
		v[meter_shaper_enqueue(&sh, t0, handle(i), 1500)]++;
	assert_int_equal(v[METER_SENT_NOW], 2);
	assert_int_equal(v[METER_QUEUED], 4);
	assert_int_equal(v[METER_DROPPED], 4);
	meter_shaper_fini(&sh);

	/* an empty queue takes a packet larger than its byte bound */
	assert_int_equal(meter_shaper_init(&sh,
					   &(struct meter_shaper_config){
						   .rate_bps = 1 * MBPS,
						   .burst_bytes = 1500,
						   .max_bytes = 4000,
					   },
					   t0),
			 0);
	assert_int_equal(meter_shaper_enqueue(&sh, t0, handle(1), 1500),
			 METER_SENT_NOW);
	assert_int_equal(meter_shaper_enqueue(&sh, t0, handle(2), 9000),
			 METER_QUEUED);
	assert_int_equal(meter_shaper_enqueue(&sh, t0, handle(3), 64),
			 METER_DROPPED);
	meter_shaper_fini(&sh);

	/* default bounds: 50 ms of the rate, 1024 packets, at least two
	 * frames; a byte bound by default follows the rate */
	assert_int_equal(meter_shaper_init(&sh,
					   &(struct meter_shaper_config){
						   .rate_bps = 100000,
					   },
					   t0),
			 0);
	assert_int_equal(sh.max_bytes, 2 * METER_FRAME);
	assert_int_equal(sh.max_pkts, 1024);
	assert_int_equal(meter_shaper_set_rate(&sh, t0, 1000 * MBPS, 0), 0);
	assert_int_equal(sh.max_bytes, 6250000);
	meter_shaper_fini(&sh);
	assert_int_equal(
		meter_shaper_init(&sh,
				  &(struct meter_shaper_config){
					  .rate_bps = 1 * MBPS,
					  .max_pkts = METER_SHAPER_PKTS_MAX + 1,
				  },
				  t0),
		-CEN_ERANGE);
}

static void
test_stats_steady_stream_reads_its_rate(void **state)
{
	struct meter_stats st;
	struct meter_totals tot;
	uint64_t t, t0 = 5 * SEC + 300 * MS;

	(void)state;
	meter_stats_init(&st, t0);
	/* 50 Mbit/s: 1250 bytes every 200 us */
	for (t = t0; t < t0 + 4 * SEC; t += gap_ns(1250, 50 * MBPS))
		meter_stats_pass(&st, t, 1250);
	/* second 5 had 0.7 s of it; 6, 7 and 8 all of it */
	assert_int_equal(meter_stats_rate(&st, 6 * SEC), 35 * MBPS);
	assert_int_equal(meter_stats_rate(&st, 7 * SEC + 1), 50 * MBPS);
	assert_int_equal(meter_stats_rate(&st, 8 * SEC + 999999999), 50 * MBPS);
	assert_int_equal(meter_stats_rate(&st, 9 * SEC), 50 * MBPS);
	/* before the meter existed: nothing */
	assert_int_equal(meter_stats_rate(&st, 5 * SEC), 0);
	assert_int_equal(meter_stats_p95(&st, 5 * SEC, 300), 0);
	meter_stats_drop(&st, 1250);
	meter_stats_get_totals(&st, &tot);
	assert_int_equal(tot.pass_pkts, 20000);
	assert_int_equal(tot.pass_bytes, 20000 * 1250);
	assert_int_equal(tot.drop_pkts, 1);
	assert_int_equal(tot.drop_bytes, 1250);
}

static void
test_stats_p95_of_known_per_second_rates(void **state)
{
	struct meter_stats st;
	uint64_t s, mbps[100], v[20], now = 100 * SEC + 500 * MS;
	unsigned i, j;

	(void)state;
	meter_stats_init(&st, 0);
	/* second s carries perm(s) Mbit/s, a permutation of 1..100 */
	for (s = 0; s < 100; s++) {
		mbps[s] = (s * 37) % 100 + 1;
		meter_stats_pass(&st, s * SEC + 1, mbps[s] * MBPS / 8);
	}
	/* nearest rank over 100: the 95th smallest */
	assert_int_equal(meter_stats_p95(&st, now, 100), 95 * MBPS);
	assert_int_equal(meter_stats_p95(&st, now, 300), 95 * MBPS);
	assert_int_equal(meter_stats_p95(&st, now, 1000), 95 * MBPS);
	assert_int_equal(meter_stats_p95(&st, now, 1), mbps[99] * MBPS);
	assert_int_equal(meter_stats_p95(&st, now, 0), 0);
	/* over the last 20 seconds: the 19th smallest of them */
	for (i = 0; i < 20; i++)
		v[i] = mbps[80 + i];
	for (i = 0; i < 20; i++)
		for (j = i + 1; j < 20; j++)
			if (v[j] < v[i]) {
				uint64_t x = v[i];

				v[i] = v[j];
				v[j] = x;
			}
	assert_int_equal(meter_stats_p95(&st, now, 20), v[18] * MBPS);
	/* the rate of one second, and the series, oldest first */
	assert_int_equal(meter_stats_rate(&st, now), mbps[99] * MBPS);
	assert_int_equal(meter_stats_series(&st, now, v, 20), 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(v[i], mbps[80 + i] * MBPS);
}

static void
test_stats_idle_seconds_count_as_zero(void **state)
{
	struct meter_stats st;
	uint64_t t, v[30];
	size_t n, i;

	(void)state;
	meter_stats_init(&st, 0);
	/* 80 Mbit/s for 10 s, then nothing */
	for (t = 0; t < 10 * SEC; t += gap_ns(1000, 80 * MBPS))
		meter_stats_pass(&st, t, 1000);
	assert_int_equal(meter_stats_rate(&st, 10 * SEC), 80 * MBPS);
	assert_int_equal(meter_stats_rate(&st, 11 * SEC), 0);
	assert_int_equal(meter_stats_rate(&st, 20 * SEC + 500 * MS), 0);
	n = meter_stats_series(&st, 20 * SEC + 500 * MS, v, 30);
	assert_int_equal(n, 20);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i < 10 ? 80 * MBPS : 0);
	/* ten busy and ten idle seconds: the 19th smallest is busy; the
	 * last ten alone are idle */
	assert_int_equal(meter_stats_p95(&st, 20 * SEC, 20), 80 * MBPS);
	assert_int_equal(meter_stats_p95(&st, 20 * SEC, 10), 0);
	/* traffic again after the gap: the gap stays zero */
	meter_stats_pass(&st, 25 * SEC + 1, 1000);
	n = meter_stats_series(&st, 26 * SEC, v, 30);
	assert_int_equal(n, 26);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i < 10 ? 80 * MBPS : i == 25 ? 8000 : 0);
}

static void
test_stats_ring_wraps_after_300_seconds(void **state)
{
	struct meter_stats st;
	uint64_t s, v[METER_STATS_SECONDS + 10];
	size_t n, i;

	(void)state;
	meter_stats_init(&st, 0);
	/* second s carries (s + 1) * 1000 bytes, for 400 s */
	for (s = 0; s < 400; s++)
		meter_stats_pass(&st, s * SEC + 123, (s + 1) * 1000);
	/* only the last 300 are held */
	n = meter_stats_series(&st, 400 * SEC + 1, v, 310);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], (100 + i + 1) * 8000);
	assert_int_equal(meter_stats_p95(&st, 400 * SEC + 1, 300),
			 (100 + 285) * 8000);
	/* 50 idle seconds reuse the slots of seconds 100..149: they read 0,
	 * not what those seconds carried */
	meter_stats_pass(&st, 450 * SEC + 5, 1000);
	n = meter_stats_series(&st, 451 * SEC, v, 300);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++) {
		s = 151 + i;
		assert_int_equal(v[i], s < 400	  ? (s + 1) * 8000
				       : s == 450 ? 8000
						  : 0);
	}
	/* after more than 300 idle seconds nothing old is left */
	meter_stats_pass(&st, 1000 * SEC, 2000);
	n = meter_stats_series(&st, 1001 * SEC, v, 300);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i == 299 ? 16000 : 0);
	/* a reader ahead of the writer: the seconds since are idle */
	n = meter_stats_series(&st, 1200 * SEC, v, 300);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i == 100 ? 16000 : 0);
	/* a meter started at 50.2 s has nothing before second 50 */
	meter_stats_init(&st, 50 * SEC + 200 * MS);
	assert_int_equal(meter_stats_series(&st, 60 * SEC + 500 * MS, v, 300),
			 10);
	assert_int_equal(meter_stats_series(&st, 50 * SEC + 900 * MS, v, 300),
			 0);
}

/* A reader thread copying the whole ring while the writer rolls through
 * seconds: every complete second carried exactly 50 Mbit/s, so any other
 * value is a slot read while it was being reused for a new second. */
struct race {
	struct meter_stats st;
	_Atomic uint64_t now; /* the writer's clock */
	_Atomic bool done;
	uint64_t reads, bad;
};

static void *
race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t v[METER_STATS_SECONDS], now;
	size_t n, i;

	while (!atomic_load(&r->done)) {
		now = atomic_load(&r->now);
		n = meter_stats_series(&r->st, now, v, METER_STATS_SECONDS);
		for (i = 0; i < n; i++)
			if (v[i] != 50 * MBPS)
				r->bad++;
		r->reads++;
	}
	return NULL;
}

static void
test_stats_reader_never_sees_a_second_being_reused(void **state)
{
	static struct race r;
	pthread_t th;
	uint64_t t, reads;

	(void)state;
	memset(&r, 0, sizeof(r));
	meter_stats_init(&r.st, 0);
	assert_int_equal(pthread_create(&th, NULL, race_reader, &r), 0);
	/* 50 Mbit/s in 1250-byte packets for 1200 s, as fast as it goes; a
	 * second is published once its first packet is in */
	for (t = 0; t < 1200 * SEC; t += gap_ns(1250, 50 * MBPS)) {
		meter_stats_pass(&r.st, t, 1250);
		atomic_store_explicit(&r.now, t, memory_order_release);
	}
	atomic_store(&r.done, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	reads = r.reads;
	assert_true(reads > 0);
	assert_int_equal(r.bad, 0);
}

static void
test_meter_registry_exports_snapshots(void **state)
{
	struct meter vbr, cap, bb, xfer, bad;
	struct meter_flows fl;
	struct meter_reg reg;
	struct meter_snap snap[8];
	struct cen_err err;
	uint64_t t, t0 = 20 * SEC;
	unsigned i;

	(void)state;
	assert_int_equal(meter_flows_init(&fl, 1024, 0), 0);
	assert_int_equal(meter_init(&vbr,
				    &(struct meter_config){
					    .id = "vbr-dc1",
					    .kind = METER_KIND_VBR,
					    .committed_bps = 100 * MBPS,
				    },
				    t0, &err),
			 0);
	assert_int_equal(meter_init(&cap,
				    &(struct meter_config){
					    .id = "vbr-dc1/flow",
					    .kind = METER_KIND_FLOW_CAP,
					    .committed_bps = 100 * MBPS,
					    .flows = &fl,
				    },
				    t0, &err),
			 0);
	assert_int_equal(meter_init(&bb,
				    &(struct meter_config){
					    .id = "bwp-cn-eu",
					    .kind = METER_KIND_BACKBONE,
					    .committed_bps = 10 * MBPS,
				    },
				    t0, &err),
			 0);
	assert_int_equal(meter_init(&xfer,
				    &(struct meter_config){
					    .id = "vpn-branch",
					    .kind = METER_KIND_TRANSFER,
				    },
				    t0, &err),
			 0);

	/* what the configuration can get wrong, said so */
	assert_int_equal(meter_init(&bad,
				    &(struct meter_config){
					    .id = "vbr-x",
					    .kind = METER_KIND_VBR,
				    },
				    t0, &err),
			 -CEN_ERANGE);
	assert_non_null(strstr(err.msg, "vbr-x: committed_bps 0 out of range"));
	assert_int_equal(meter_init(&bad,
				    &(struct meter_config){
					    .id = "f",
					    .kind = METER_KIND_FLOW_CAP,
					    .committed_bps = MBPS,
				    },
				    t0, &err),
			 -CEN_EINVAL);
	assert_non_null(strstr(err.msg, "flow table"));
	assert_int_equal(meter_init(&bad,
				    &(struct meter_config){
					    .id = "",
					    .kind = METER_KIND_VBR,
					    .committed_bps = MBPS,
				    },
				    t0, &err),
			 -CEN_EINVAL);
	assert_int_equal(meter_init(&bad,
				    &(struct meter_config){
					    .id = "k",
					    .committed_bps = MBPS,
				    },
				    t0, &err),
			 -CEN_EINVAL);

	meter_reg_init(&reg);
	assert_int_equal(meter_reg_add(&reg, &vbr), 0);
	assert_int_equal(meter_reg_add(&reg, &cap), 0);
	assert_int_equal(meter_reg_add(&reg, &bb), 0);
	assert_int_equal(meter_reg_add(&reg, &xfer), 0);
	assert_int_equal(meter_reg_add(&reg, &vbr), -CEN_EEXIST);
	assert_ptr_equal(meter_reg_find(&reg, "bwp-cn-eu"), &bb);
	assert_null(meter_reg_find(&reg, "nope"));

	/* 2 s of 200 Mbit/s into each */
	for (t = t0, i = 0; t < t0 + 2 * SEC; t += gap_ns(1500, 200 * MBPS)) {
		meter_police(&vbr, t, 1500);
		meter_flow(&cap, t, 42, 1, 2, 1500);
		void *out[4];

		meter_shape(&bb, t, handle(++i), 1500);
		meter_release(&bb, t, out, 4);
		assert_true(meter_police(&xfer, t, 1500));
	}
	assert_int_equal(meter_reg_snapshot(&reg, t, 300, snap, 2), 4);
	assert_int_equal(meter_reg_snapshot(&reg, t, 300, snap, 8), 4);
	assert_string_equal(snap[0].id, "vbr-dc1");
	assert_int_equal(snap[0].kind, METER_KIND_VBR);
	assert_int_equal(snap[0].committed_bps, 100 * MBPS);
	assert_int_equal(snap[0].limit_bps, 100 * MBPS);
	assert_within_1pct(snap[0].rate_bps, 100 * MBPS);
	assert_true(snap[0].drop_pkts > 0);
	assert_int_equal(snap[1].limit_bps, 100 * MBPS / 12);
	assert_within_1pct(snap[1].rate_bps, 100 * MBPS / 12);
	assert_string_equal(snap[2].id, "bwp-cn-eu");
	assert_within_1pct(snap[2].rate_bps, 10 * MBPS);
	assert_true(snap[2].queue_pkts > 0);
	assert_int_equal(snap[3].kind, METER_KIND_TRANSFER);
	assert_int_equal(snap[3].limit_bps, 0);
	/* every packet passed: 16667 in each second (one each 60 us) */
	assert_int_equal(snap[3].rate_bps, 16667 * 1500 * 8);
	assert_int_equal(snap[3].p95_bps, 16667 * 1500 * 8);
	assert_int_equal(snap[3].pass_pkts, 2 * 16667);
	assert_int_equal(snap[3].drop_pkts, 0);

	/* a cap on the transfer meter, then none again */
	assert_int_equal(meter_set_rate(&xfer, t, 50 * MBPS, 0), 0);
	for (i = 0; i < 100; i++)
		meter_police(&xfer, t, 1500);
	meter_snapshot(&xfer, t, 300, &snap[0]);
	assert_int_equal(snap[0].limit_bps, 50 * MBPS);
	assert_true(snap[0].drop_pkts > 0);
	assert_int_equal(meter_set_rate(&xfer, t, 0, 0), 0);
	assert_true(meter_police(&xfer, t, 1500));
	assert_int_equal(meter_set_rate(&vbr, t, 0, 0), -CEN_ERANGE);

	assert_ptr_equal(meter_reg_remove(&reg, "vbr-dc1"), &vbr);
	assert_null(meter_reg_remove(&reg, "vbr-dc1"));
	assert_int_equal(meter_reg_snapshot(&reg, t, 300, snap, 8), 3);
	assert_string_equal(snap[0].id, "vbr-dc1/flow");
	meter_reg_fini(&reg);

	/* the connection goes away: its queue comes back, counted as dropped */
	{
		struct meter_totals before, after;
		uint32_t qp = 0;
		uint64_t qb = 0;
		void *out[64];
		size_t n;

		meter_shaper_depth(&bb.u.sh, &qp, &qb);
		assert_true(qp > 0);
		meter_stats_get_totals(&bb.stats, &before);
		n = meter_flush(&bb, out, 64);
		assert_int_equal(n, qp);
		meter_stats_get_totals(&bb.stats, &after);
		assert_int_equal(after.drop_pkts, before.drop_pkts + qp);
		assert_int_equal(after.drop_bytes, before.drop_bytes + qb);
		meter_shaper_depth(&bb.u.sh, &qp, &qb);
		assert_int_equal(qp, 0);
		assert_int_equal(qb, 0);
	}
	meter_fini(&vbr);
	meter_fini(&cap);
	meter_fini(&bb);
	meter_fini(&xfer);
	meter_flows_fini(&fl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_tb_passes_committed_rate_within_1pct_under_threefold_load),
		cmocka_unit_test(
			test_tb_burst_passes_a_full_bucket_back_to_back_then_paces),
		cmocka_unit_test(
			test_tb_rate_change_credits_the_old_rate_and_keeps_the_tokens),
		cmocka_unit_test(
			test_flows_cap_each_flow_at_a_twelfth_of_the_vbr),
		cmocka_unit_test(
			test_flows_same_hash_between_other_attachments_is_another_flow),
		cmocka_unit_test(
			test_flows_idle_entries_expire_and_free_their_slots),
		cmocka_unit_test(test_shaper_sends_under_rate_traffic_at_once),
		cmocka_unit_test(
			test_shaper_releases_queued_packets_in_order_at_the_rate),
		cmocka_unit_test(
			test_shaper_overload_costs_bounded_latency_then_drops),
		cmocka_unit_test(
			test_shaper_queue_bound_drops_the_excess_and_counts_it),
		cmocka_unit_test(test_stats_steady_stream_reads_its_rate),
		cmocka_unit_test(test_stats_p95_of_known_per_second_rates),
		cmocka_unit_test(test_stats_idle_seconds_count_as_zero),
		cmocka_unit_test(test_stats_ring_wraps_after_300_seconds),
		cmocka_unit_test(
			test_stats_reader_never_sees_a_second_being_reused),
		cmocka_unit_test(test_meter_registry_exports_snapshots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
