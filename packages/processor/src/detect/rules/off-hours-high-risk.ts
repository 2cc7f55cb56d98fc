/**
 * A high-risk tool (by name glob, or flagged `destructiveHint`) used in an hour the
 * caller rarely works, judged by the actor's profile (the service's when the call has
 * no actor or the actor's profile is not warm yet), and/or outside business hours.
 *
 * The default profile (`shape: day_type`) fits real schedules: hour of day × weekday or
 * weekend day, counting distinct days with calls, smoothed over neighbouring hours; an
 * hour is rare until that support reaches `min_support` days. A burst (or a flood of
 * forged, back-dated calls, which trusted time places at their receive time) adds one
 * day, so it cannot make an hour look habitual. `shape: hour_of_week` is the former
 * 168-bin share of calls against `rare_fraction`.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zGlobs, zWarmup } from '../schema-helpers';
import { type BaselineEntry, WEEKEND } from '../baseline-entry';
import type { LocalTime } from '../hour-of-week';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const params = z.strictObject({
  tools: zGlobs.default(['delete_*', 'drop_*', 'remove_*', 'destroy_*', '*exec*', '*shell*', 'run_*', 'transfer_*', 'deploy_*', 'write_*']),
  /** Treat tools whose definition has `destructiveHint: true` as high-risk. */
  destructive: z.boolean().default(true),
  /** Whose hour-of-week profile judges the hour: the actor's (the service's while the actor's is not warm), or the service's. */
  profile: z.enum(['actor', 'service']).default('actor'),
  /**
   * `service_tool`: an hour the caller rarely works is still usual when the tool itself is
   * habitually used then on its service (its peers: an on-call rotation's night runbooks).
   */
  peers: z.enum(['service_tool', 'none']).default('service_tool'),
  /**
   * Peers judge a band, not an hour: the tool's distinct days of use within ± this many
   * hours (weekdays and weekends pooled) must reach `min_support` (night incidents of a
   * rotation fall at scattered hours and days).
   */
  peer_hours: z.number().int().min(0).max(11).default(3),
  /** `profile`: unusual for the caller; `business_hours`: outside them; `either` / `both`. */
  mode: z.enum(['profile', 'business_hours', 'either', 'both']).default('profile'),
  /** `day_type`: hour of day × weekday/weekend, distinct days of support; `hour_of_week`: 168-bin call share. */
  shape: z.enum(['day_type', 'hour_of_week']).default('day_type'),
  /** day_type: distinct days (smoothed) an hour needs before it counts as usual. */
  min_support: z.number().min(0).default(2),
  /** day_type: weight of each neighbouring hour's days in an hour's support (0 = none). */
  smoothing: z.number().min(0).max(1).default(0.5),
  /** day_type: active days (any type) the profile needs before it may judge (else no hour is rare). */
  min_profile_days: z.number().int().min(0).default(5),
  /** hour_of_week: an hour holding less than this share of the caller's calls is unusual. */
  rare_fraction: z.number().min(0).max(1).default(0.02),
  warmup: zWarmup.default({ minObservations: 50, minAgeMs: 7 * 86_400_000 }),
  /** Days 0 (Sunday) to 6, hours [start, end) in the rule set's time zone. */
  business_hours: z
    .strictObject({
      days: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
      start: z.number().int().min(0).max(23),
      end: z.number().int().min(1).max(24),
    })
    .refine((b) => b.end > b.start, { message: 'expected end after start', path: ['end'] })
    .nullable()
    .default(null),
});

export const offHoursHighRisk = defineEvaluator({
  type: 'off_hours_high_risk',
  params,
  defaults: { group_by: ['service', 'actor_id', 'tool'], window: '1h', threshold: 1 },
  create(rule, p, env) {
    const highRisk = compileGlobs(p.tools);
    const business = p.business_hours;
    const businessDays = new Set(business?.days ?? []);
    const rare = (profile: BaselineEntry, local: LocalTime): boolean =>
      p.shape === 'day_type'
        ? profile.activeDaysTotal() >= p.min_profile_days && profile.hourSupport(local, p.smoothing) < p.min_support
        : profile.hourShare(local.hourOfWeek) < p.rare_fraction;
    const outsideBusiness = (how: number): boolean | null => {
      if (!business) return null;
      const day = Math.floor(how / 24);
      const hour = how % 24;
      return !(businessDays.has(day) && hour >= business.start && hour < business.end);
    };
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        if (rec.tool === null) return null;
        if (!highRisk(rec.tool) && !(p.destructive && rec.tool_destructive === true)) return null;
        // An actor without enough history is judged by its service's habits.
        const profile = p.profile === 'actor' && ctx.actor?.isWarm(ctx.timeMs, p.warmup) ? ctx.actor : ctx.service;
        const how = ctx.hourOfWeek;
        const peers = p.peers === 'service_tool' && ctx.serviceTool?.isWarm(ctx.timeMs, p.warmup) ? ctx.serviceTool : null;
        const profileSays = profile.isWarm(ctx.timeMs, p.warmup) && rare(profile, ctx.local) && (peers === null || peers.bandSupport(ctx.local, p.peer_hours) < p.min_support);
        const clockSays = outsideBusiness(ctx.hourOfWeek);
        let unusual: boolean;
        switch (p.mode) {
          case 'profile':
            unusual = profileSays;
            break;
          case 'business_hours':
            unusual = clockSays === true;
            break;
          case 'either':
            unusual = profileSays || clockSays === true;
            break;
          case 'both':
            unusual = profileSays && clockSays !== false;
            break;
        }
        if (!unusual) return null;
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        const when = `${DAY_NAMES[Math.floor(how / 24)]} ${String(how % 24).padStart(2, '0')}:00 ${env.settings.timezone}`;
        const whose = profile === ctx.service ? 'this service' : 'this actor';
        const why = [
          profileSays
            ? p.shape === 'day_type'
              ? `${whose} was active around that hour on ${profile.hourSupport(ctx.local, p.smoothing)} of its ${profile.activeDaysOf(ctx.local)} active ${ctx.local.dayType === WEEKEND ? 'weekend days and holidays' : 'weekdays'}`
              : `${(profile.hourShare(how) * 100).toFixed(1)}% of ${whose}'s calls fall in that hour`
            : null,
          clockSays ? 'outside business hours' : null,
        ]
          .filter(Boolean)
          .join('; ');
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          summary: `high-risk tool ${rec.tool} used ${when} (${why})`,
        };
      },
    };
  },
});
