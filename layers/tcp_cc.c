/* Round-trip time estimation (RFC 6298) and congestion control: slow
   start and congestion avoidance with appropriate byte counting (RFC 5681,
   RFC 3465), fast retransmit and NewReno fast recovery (RFC 6582). */
#include <config.h>
#include "tcp_private.h"

/* Clock granularity G of RFC 6298: our clock is fine, but a floor keeps
   RTTVAR from collapsing to zero on a perfectly regular path. */
#define RTO_GRANULARITY NET_NSEC_PER_MSEC
#define CWND_MAX (UINT32_C(1) << 30)

void net_tcp_rtt_sample(struct net_tcp_session_s *s, net_time_t rtt)
{
  const struct net_tcp_config_s *cfg = s->cfg;
  net_time_t var;

  if (s->srtt == 0)
    {
      /* RFC 6298 2.2: first measurement. */
      s->srtt = rtt ? rtt : 1;
      s->rttvar = rtt / 2;
    }
  else
    {
      /* 2.3: beta = 1/4, alpha = 1/8. */
      net_time_t err = s->srtt > rtt ? s->srtt - rtt : rtt - s->srtt;
      s->rttvar = (3 * s->rttvar + err) / 4;
      s->srtt = (7 * s->srtt + rtt) / 8;
      if (!s->srtt)
        s->srtt = 1;
    }
  var = 4 * s->rttvar;
  if (var < RTO_GRANULARITY)
    var = RTO_GRANULARITY;
  s->rto = s->srtt + var;
  if (s->rto < cfg->rto_min)
    s->rto = cfg->rto_min;
  if (s->rto > cfg->rto_max)
    s->rto = cfg->rto_max;
}

void net_tcp_cc_init(struct net_tcp_session_s *s)
{
  uint32_t mss = s->mss;
  /* RFC 6928 initial window: min(10 MSS, max(2 MSS, 14600)). */
  uint32_t iw = 2 * mss > 14600 ? 2 * mss : 14600;
  s->cwnd = 10 * mss < iw ? 10 * mss : iw;
  s->ssthresh = CWND_MAX;
  s->ca_acked = 0;
  s->dupacks = 0;
  s->recover = s->snd_una;
  s->flags &= ~(NET_TCP_SF_RECOVERY | NET_TCP_SF_PARTIAL_SEEN);
}

static uint32_t half_flight(const struct net_tcp_session_s *s)
{
  uint32_t half = net_tcp_flight(s) / 2;
  return half > 2u * s->mss ? half : 2u * s->mss;
}

void net_tcp_cc_ack(struct net_tcp_session_s *s, uint32_t ack, uint32_t acked)
{
  if (s->flags & NET_TCP_SF_RECOVERY)
    {
      if (net_tcp_seq_ge(ack, s->recover))
        {
          /* Full acknowledgment (RFC 6582 3.2 step 3, option 1). */
          uint32_t flight = net_tcp_flight(s);
          uint32_t w = (flight > s->mss ? flight : s->mss) + s->mss;
          s->cwnd = w < s->ssthresh ? w : s->ssthresh;
          s->flags &= ~(NET_TCP_SF_RECOVERY | NET_TCP_SF_PARTIAL_SEEN);
          s->dupacks = 0;
          s->ca_acked = 0;
          return;
        }
      /* Partial acknowledgment (step 4): the next hole is lost too;
         resend it, deflate by what was acked, add back one segment. */
      net_tcp_send_segment(s, s->snd_una, s->mss, false);
      s->cwnd = s->cwnd > acked ? s->cwnd - acked : s->mss;
      if (acked >= s->mss)
        s->cwnd += s->mss;
      s->flags |= NET_TCP_SF_PARTIAL_SEEN;
      return;
    }
  s->dupacks = 0;
  if (s->cwnd < s->ssthresh)
    s->cwnd += acked < 2u * s->mss ? acked : 2u * s->mss;
  else
    {
      s->ca_acked += acked;
      if (s->ca_acked >= s->cwnd)
        {
          s->ca_acked -= s->cwnd;
          s->cwnd += s->mss;
        }
    }
  if (s->cwnd > CWND_MAX)
    s->cwnd = CWND_MAX;
}

void net_tcp_cc_dupack(struct net_tcp_session_s *s)
{
  s->dupacks++;
  if (s->flags & NET_TCP_SF_RECOVERY)
    {
      /* Each further duplicate means a segment left the network. */
      if (s->cwnd < CWND_MAX)
        s->cwnd += s->mss;
      return;
    }
  /* RFC 6582 3.2 step 2: only when the cumulative ACK covers the
     previous recovery point, so the duplicates that a go-back-N resend
     provokes do not start a new recovery. */
  if (s->dupacks != 3 || !net_tcp_seq_ge(s->snd_una, s->recover))
    return;
  s->ssthresh = half_flight(s);
  s->recover = s->snd_max;
  net_tcp_send_segment(s, s->snd_una, s->mss, false);
  s->cwnd = s->ssthresh + 3u * s->mss;
  s->flags |= NET_TCP_SF_RECOVERY;
  s->flags &= ~(NET_TCP_SF_PARTIAL_SEEN | NET_TCP_SF_RTT_TIMING);
  s->fast_retransmits++;
  net_tcp_count(s->shared, NET_TCP_STAT_FAST_RETRANSMITS, 1);
  net_tcp_rtx_restart(s);
}

void net_tcp_cc_timeout(struct net_tcp_session_s *s)
{
  /* RFC 5681 eq. 4, on the first expiry of a series only. */
  if (s->backoff == 0)
    s->ssthresh = half_flight(s);
  s->cwnd = s->mss;
  s->ca_acked = 0;
  s->dupacks = 0;
  s->recover = s->snd_max;
  s->flags &= ~(NET_TCP_SF_RECOVERY | NET_TCP_SF_PARTIAL_SEEN);
}
