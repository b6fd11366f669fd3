/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_rewind.c - moving the writers' consumer group back to the offsets
 * a backup recorded (`srr restore`, queue.h "positions"). It refuses a
 * group with active members (their commits would undo the rewind; Kafka
 * also refuses a commit from outside a live group), counts per partition
 * what is out of reach (the backup's offset is below the log start:
 * retention passed) and what will be read again, and commits the backup's
 * offsets for the group (the log start where the backup's is gone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_internal.h"
#include "log.h"
#include "queue_backend.h"

typedef struct krewinder {
    rd_kafka_t *rk;
    char *topic, *group, *key;
    int64_t *lo, *hi; /* per partition, filled by check */
    int nparts;
} krewinder;

void srr_kafka_rewind_close(void *impl)
{
    krewinder *r = impl;
    if (!r)
        return;
    if (r->rk)
        rd_kafka_destroy(r->rk);
    free(r->topic);
    free(r->group);
    free(r->key);
    free(r->lo);
    free(r->hi);
    free(r);
}

/* Refuses a group with active members: their commits would undo the
 * rewind, and Kafka refuses a commit from outside a live group anyway. */
static srr_rc group_is_idle(krewinder *r, srr_error *err)
{
    const struct rd_kafka_group_list *gl = NULL;
    rd_kafka_resp_err_t e = rd_kafka_list_groups(r->rk, r->group, &gl, KAFKA_METADATA_MS);
    srr_rc rc = SRR_OK;
    if (e) {
        srr_warn("kafka: cannot describe group %s (%s); the commit refuses if writers are active",
                 r->group, rd_kafka_err2str(e));
        return SRR_OK;
    }
    if (gl->group_cnt > 0 && gl->groups[0].member_cnt > 0)
        rc = srr_error_set(err, SRR_ECONFLICT,
                           "kafka: consumer group %s has %d active member(s) (writers: srr "
                           "drain or srr serve): stop them first",
                           r->group, gl->groups[0].member_cnt);
    rd_kafka_group_list_destroy(gl);
    return rc;
}

srr_rc srr_kafka_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err)
{
    const srr_kafka_config *kc = &cfg->queue.kafka;
    rd_kafka_conf_t *conf = NULL;
    krewinder *r;
    char es[512];
    srr_rc rc;
    *impl = NULL;
    if (!kc->topic || !*kc->topic || !kc->group || !*kc->group)
        return srr_error_set(err, SRR_EINVAL, "queue.kafka.topic and queue.kafka.group are needed");
    rc = srr_kafka_consumer_conf(kc, NULL, &conf, err);
    if (rc != SRR_OK)
        return rc;
    r = srr_calloc(1, sizeof *r);
    r->topic = srr_strdup(kc->topic);
    r->group = srr_strdup(kc->group);
    r->key = srr_asprintf("kafka:%s", kc->topic);
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof es);
    if (!r->rk) {
        rd_kafka_conf_destroy(conf);
        srr_kafka_rewind_close(r);
        return srr_error_set(err, SRR_EINVAL, "kafka consumer: %s", es);
    }
    rc = group_is_idle(r, err);
    if (rc != SRR_OK) {
        srr_kafka_rewind_close(r);
        return rc;
    }
    *key = r->key;
    *impl = r;
    return SRR_OK;
}

/* The backup's offset of partition p: the listed one, else the beginning. */
static int64_t offset_of(const srr_queue_pos *pos, size_t n, int p)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (pos[i].partition == p)
            return pos[i].offset;
    return 0;
}

srr_rc srr_kafka_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err)
{
    krewinder *r = impl;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, r->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 0, rkt, &md, KAFKA_METADATA_MS);
    size_t used = 0;
    int i;
    rd_kafka_topic_destroy(rkt);
    if (e)
        return srr_error_set(err, SRR_RETRY, "kafka: metadata of %s: %s", r->topic,
                             rd_kafka_err2str(e));
    if (md->topic_cnt != 1 || md->topics[0].err) {
        rd_kafka_metadata_destroy(md);
        return srr_error_set(err, SRR_RETRY, "kafka: topic %s is not available", r->topic);
    }
    r->nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    free(r->lo);
    free(r->hi);
    r->lo = srr_calloc((size_t)r->nparts + 1, sizeof *r->lo);
    r->hi = srr_calloc((size_t)r->nparts + 1, sizeof *r->hi);
    used = (size_t)snprintf(plan->detail, sizeof plan->detail, "kafka %s, group %s:", r->topic,
                            r->group);
    for (i = 0; i < r->nparts; i++) {
        int64_t at = offset_of(pos, n, i);
        e = rd_kafka_query_watermark_offsets(r->rk, r->topic, i, &r->lo[i], &r->hi[i],
                                             KAFKA_METADATA_MS);
        if (e)
            return srr_error_set(err, SRR_RETRY, "kafka: offsets of %s[%d]: %s", r->topic, i,
                                 rd_kafka_err2str(e));
        if (at < r->lo[i])
            plan->out_of_reach += r->lo[i] - at;
        if (at <= r->hi[i])
            plan->replay += r->hi[i] - (at > r->lo[i] ? at : r->lo[i]);
        if (used < sizeof plan->detail)
            used += (size_t)snprintf(plan->detail + used, sizeof plan->detail - used,
                                     " [%d] from %lld (holds %lld..%lld)", i, (long long)at,
                                     (long long)r->lo[i], (long long)r->hi[i]);
    }
    return SRR_OK;
}

srr_rc srr_kafka_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err)
{
    krewinder *r = impl;
    srr_rewind_plan plan;
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t e;
    srr_rc rc;
    int i;
    memset(&plan, 0, sizeof plan);
    rc = srr_kafka_rewind_check(impl, pos, n, &plan, err);
    if (rc != SRR_OK)
        return rc;
    l = rd_kafka_topic_partition_list_new(r->nparts);
    for (i = 0; i < r->nparts; i++) {
        int64_t at = offset_of(pos, n, i);
        rd_kafka_topic_partition_list_add(l, r->topic, i)->offset = at < r->lo[i] ? r->lo[i] : at;
    }
    e = rd_kafka_commit(r->rk, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return srr_error_set(err, SRR_EIO,
                             "kafka: committing the backup's offsets for group %s: %s (writers "
                             "still in the group?)",
                             r->group, rd_kafka_err2str(e));
    srr_info("kafka: group %s moved back to the backup's offsets on %s", r->group, r->topic);
    return SRR_OK;
}
