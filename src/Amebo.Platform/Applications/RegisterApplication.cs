using System.Security.Claims;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Applications;

public sealed record RegisterApplication(string? Application, string? Address, string? Secret);

public static class RegisterApplicationEndpoint
{
    public static async Task<ProblemDetails> ValidateAsync(RegisterApplication? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (!Caller.Of(user).IsAdministrator) return Problems.Of(403, "Only the administrator may register applications.");
        if (request is null) return Problems.BadRequest("The body must be a JSON object.");

        var errors = new List<ProblemError>();
        if (!ApplicationNames.IsValid(request.Application))
        {
            errors.Add(new("/application", "application must be 2-63 characters of lowercase letters, digits, '-', '_' or '.'.", "pattern"));
        }
        if (!ApplicationNames.IsValidAddress(request.Address))
        {
            errors.Add(new("/address", "address must be an absolute http or https URL.", "format"));
        }
        if (request.Secret is not { Length: >= ApplicationNames.MinSecretLength and <= ApplicationNames.MaxSecretLength })
        {
            errors.Add(new("/secret", $"secret must be {ApplicationNames.MinSecretLength} to {ApplicationNames.MaxSecretLength} characters.", "minLength"));
        }
        if (errors.Count > 0) return Problems.BadRequest("The application registration is invalid.", errors);

        return request.Application != Credentials.Administrator && await session.LoadAsync<Application>(request.Application!, ct) is null
            ? WolverineContinue.NoProblems
            : Problems.Conflict($"An application named '{request.Application}' already exists.");
    }

    [WolverinePost("/v1/applications", OperationId = "RegisterApplication")]
    public static async Task<Created<Data<ApplicationView>>> Post(
        RegisterApplication request, IDocumentSession session, IPasswordHasher<Application> hasher, TimeProvider clock, CancellationToken ct)
    {
        var application = new Application
        {
            Id = request.Application!,
            Address = request.Address!,
            SecretHash = "",
            SecretStamp = Guid.CreateVersion7().ToString("N"),
            CreatedAt = clock.GetUtcNow(),
        };
        application.SecretHash = hasher.HashPassword(application, request.Secret!);

        // Insert, not store: a racing registration of the same name fails as a 409.
        session.Insert(application);
        await session.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/applications/{application.Id}", new Data<ApplicationView>(ApplicationView.From(application)));
    }
}
