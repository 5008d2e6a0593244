using System.Text.Json.Nodes;

namespace Amebo.Tests.Fixtures;

/// <summary>The examples of the "Events &amp; Actions" page Amebo grew from, exactly as given there.</summary>
public static class Seed
{
    public static readonly JsonNode UserCreatedSchema = JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "id": {"type": "string", "format": "uuid"},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string", "minLength": 1},
            "created_at": {"type": "string", "format": "date-time"},
            "metadata": {
              "type": "object",
              "properties": {
                "source": {"type": "string", "enum": ["web", "mobile", "api"]},
                "ip_address": {"type": "string", "format": "ipv4"},
                "user_agent": {"type": "string"}
              }
            }
          },
          "required": ["id", "email", "name", "created_at"],
          "additionalProperties": false
        }
        """)!;

    public const string AliceId = "550e8400-e29b-41d4-a716-446655440000";

    public static JsonObject Alice() => JsonNode.Parse("""
        {
          "id": "550e8400-e29b-41d4-a716-446655440000",
          "email": "alice@example.com",
          "name": "Alice Johnson",
          "created_at": "2024-12-10T10:30:00Z",
          "metadata": {
            "source": "web",
            "ip_address": "192.168.1.100",
            "user_agent": "Mozilla/5.0..."
          }
        }
        """)!.AsObject();

    public static JsonObject User(string id, string email = "user@example.com") => new()
    {
        ["id"] = id,
        ["email"] = email,
        ["name"] = "A User",
        ["created_at"] = "2024-12-10T10:30:00Z",
    };

    /// <summary>
    /// The seed's "Event Sourcing" scenario: one user created, verified, then renamed. Registers the
    /// three actions (with open schemas) and publishes the three events in order.
    /// </summary>
    public static async Task<List<System.Text.Json.JsonElement>> PublishUserLifecycle(Api api, string userId = "user-123")
    {
        await api.RegisteredApplication();
        foreach (var action in new[] { "user.created", "user.email_verified", "user.profile_updated" })
        {
            await api.DefinedAction(action, new JsonObject());
        }
        return
        [
            await api.Published("user.created", new JsonObject { ["id"] = userId, ["email"] = "john@example.com" }),
            await api.Published("user.email_verified", new JsonObject { ["id"] = userId, ["verified_at"] = "2024-12-10T11:00:00Z" }),
            await api.Published("user.profile_updated", new JsonObject { ["id"] = userId, ["name"] = "John Doe" }),
        ];
    }
}
