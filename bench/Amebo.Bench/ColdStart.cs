using System.Diagnostics;
using System.Text.Json;

namespace Amebo.Bench;

public sealed record ColdStartResult(IReadOnlyList<double> Seconds, IReadOnlyList<double> ResidentMegabytes);

/// <summary>
/// Process start → first 201: a new Release server process on the prepared database, timed until it
/// has issued a token and stored one event. The schema exists already (as on any start but the first).
/// </summary>
public static class ColdStart
{
    public static async Task<ColdStartResult> MeasureAsync(string connectionString, int runs)
    {
        var seconds = new List<double>();
        var memory = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            await using var server = AmeboServer.Launch(connectionString);
            using var client = server.Client(1);
            string? token = null;
            while (token is null)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("Amebo did not answer within 60 s.");
                try
                {
                    using var answer = await client.PostAsync("/v1/tokens", AmeboServer.Json($$"""{"application":"bench","secret":"{{AmeboServer.Secret}}"}"""));
                    if (answer.IsSuccessStatusCode)
                    {
                        token = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("token").GetString();
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(10);
                }
            }
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var published = await client.PostAsync("/v1/events", AmeboServer.Json(AmeboServer.Event("bench.created", $"cold-{run}-{Guid.NewGuid():N}", run)));
            if ((int)published.StatusCode != 201) throw new InvalidOperationException($"first publish answered {(int)published.StatusCode}");
            seconds.Add(clock.Elapsed.TotalSeconds);
            await Task.Delay(1000);
            memory.Add(server.ResidentMegabytes());
            Console.WriteLine($"  start {run + 1}: first 201 after {seconds[^1]:F2} s, {memory[^1]:F0} MB resident a second later");
        }
        return new ColdStartResult(seconds, memory);
    }
}
