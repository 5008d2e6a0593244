using Amebo.Platform.Hosting;
using Amebo.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Amebo.Tests.Operations;

public sealed class when_checking_health(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task live_and_ready_answer_without_a_token()
    {
        var anonymous = Fixture.Anonymous();

        var live = await anonymous.Get("/health/live");
        var ready = await anonymous.Get("/health/ready");

        ((int)live.Status).ShouldBe(200, live.Text);
        live.Body.GetProperty("status").GetString().ShouldBe("healthy");
        ((int)ready.Status).ShouldBe(200, ready.Text);
        ready.Body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString().ShouldBe("healthy");
    }

    [Fact]
    public async Task ready_is_unhealthy_where_the_schema_is_not_in_place()
    {
        var name = $"amebo_empty_{Guid.NewGuid():N}"[..30];
        await using (var connection = new NpgsqlConnection(Fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var empty = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { Database = name }.ConnectionString;
        await using var database = await AmeboDatabase.OpenAsync(new AmeboSettings { Dsn = empty });

        var result = await new DatabaseReady(database).CheckHealthAsync(new HealthCheckContext());

        result.Status.ShouldBe(HealthStatus.Unhealthy);
        result.Description!.ShouldContain("schema");
    }
}
