using Amebo.Platform.Hosting;
using Prometheus;
using Microsoft.AspNetCore.Mvc;

namespace Amebo.Platform.Events;

/// <summary>What a publish asks for once every event passed its checks.</summary>
public sealed record PublishRequest(string Application, IReadOnlyList<AdmittedEvent> Events, IReadOnlyList<IdempotencyClaim> Claims);

/// <summary>
/// The answer to a publish: receipts in request order and whether any event was newly stored
/// (201) or every one was a replay of an earlier request with the same idempotency key (200);
/// or the problem that refused it, with nothing stored.
/// </summary>
public sealed record PublishOutcome(ProblemDetails? Problem, IReadOnlyList<EventReceipt> Receipts, bool Replayed);

/// <summary>
/// Publishes admitted events, honouring idempotency keys: a key seen before with the same request
/// answers with the events it stored then; with another request, 409. A key taken by a racing
/// request while this one was appending is looked up again.
/// </summary>
public sealed class Publisher(EventAppender appender, IdempotencyKeys keys, EventReader reader)
{
    private const int MaxRounds = 3;

    public async Task<PublishOutcome> PublishAsync(PublishRequest request, CancellationToken ct)
    {
        using var timer = AmeboMetrics.PublishDuration.NewTimer();
        for (var round = 1; ; round++)
        {
            var known = await keys.FindAsync(request.Application, request.Claims.Select(c => c.Key).ToList(), ct);
            var receipts = new EventReceipt?[request.Events.Count];
            foreach (var claim in request.Claims)
            {
                if (!known.TryGetValue(claim.Key, out var record)) continue;
                if (!record.Hash.AsSpan().SequenceEqual(claim.Hash))
                {
                    return Refused(Problems.Of(409, $"The idempotency key '{claim.Key}' was used before with a different request; nothing was stored.",
                        [new ProblemError(claim.Pointer, "idempotency key reused with a different request", "idempotency_key")]));
                }
                var stored = await reader.FindByIdsAsync(record.EventIds, ct);
                for (var i = 0; i < claim.EventIndexes.Count && i < stored.Count; i++)
                {
                    receipts[claim.EventIndexes[i]] = EventReceipt.From(stored[i]);
                }
            }

            var fresh = Enumerable.Range(0, request.Events.Count).Where(i => receipts[i] is null).ToList();
            if (fresh.Count == 0) return new PublishOutcome(null, receipts!, Replayed: true);

            // Only the events not replayed are appended; a new key names all its events, replayed or not.
            var claims = request.Claims.Where(c => !known.ContainsKey(c.Key))
                .Select(c => new KeyToWrite(c.Key, c.Hash, c.EventIndexes.Select(i => receipts[i]?.Id ?? request.Events[i].Id).ToArray()))
                .ToList();
            var events = fresh.Select(i => request.Events[i]).ToList();

            var result = await appender.AppendAsync(events, request.Application, claims);
            if (result.KeyTaken && round < MaxRounds) continue;
            if (result.KeyTaken) return Refused(Problems.Conflict("The idempotency key is being used by another request at this moment; retry."));
            if (result.Conflict is { } conflict) return Refused(Problems.VersionConflict(conflict));

            for (var j = 0; j < fresh.Count; j++)
            {
                receipts[fresh[j]] = EventReceipt.From(result.Stored[j], events[j]);
                AmeboMetrics.EventsPublished.WithLabels(events[j].Action.Name).Inc();
            }
            return new PublishOutcome(null, receipts!, Replayed: false);
        }
    }

    private static PublishOutcome Refused(ProblemDetails problem) => new(problem, [], false);
}
