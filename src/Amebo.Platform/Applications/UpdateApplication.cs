using System.Security.Claims;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Applications;

/// <summary>A new address, a new secret, or both. A new secret revokes every earlier token.</summary>
public sealed record UpdateApplication(string? Address, string? Secret);

/// <summary>The application to change, or the problem that refuses the change.</summary>
public sealed record ApplicationChange(ProblemDetails Problem, Application? Application);

public static class UpdateApplicationEndpoint
{
    public static async Task<ApplicationChange> LoadAsync(
        string application, UpdateApplication? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        var caller = Caller.Of(user);
        if (!caller.ActsFor(application))
        {
            return Refused(Problems.Of(403, $"The token of '{caller.Application}' may change '{caller.Application}' only."));
        }
        if (application == Credentials.Administrator)
        {
            return Refused(Problems.Conflict("The administrator's secret is set by AMEBO_ADMIN_SECRET or the admin-secret file in the data directory."));
        }
        if (request is null || (request.Address is null && request.Secret is null))
        {
            return Refused(Problems.BadRequest("Send a new address, a new secret, or both."));
        }

        var errors = new List<ProblemError>();
        if (request.Address is not null && !ApplicationNames.IsValidAddress(request.Address))
        {
            errors.Add(new("/address", "address must be an absolute http or https URL.", "format"));
        }
        if (request.Secret is not null and not { Length: >= ApplicationNames.MinSecretLength and <= ApplicationNames.MaxSecretLength })
        {
            errors.Add(new("/secret", $"secret must be {ApplicationNames.MinSecretLength} to {ApplicationNames.MaxSecretLength} characters.", "minLength"));
        }
        if (errors.Count > 0) return Refused(Problems.BadRequest("The change is invalid.", errors));

        var found = ApplicationNames.IsValid(application) ? await session.LoadAsync<Application>(application, ct) : null;
        return found is null
            ? Refused(Problems.NotFound($"No application named '{application}' is registered."))
            : new ApplicationChange(WolverineContinue.NoProblems, found);
    }

    public static ProblemDetails Validate(ApplicationChange change) => change.Problem;

    [WolverinePut("/v1/applications/{application}", OperationId = "UpdateApplication")]
    public static async Task<Data<ApplicationView>> Put(
        UpdateApplication request, ApplicationChange change, IDocumentSession session, IPasswordHasher<Application> hasher, SecretStamps stamps, CancellationToken ct)
    {
        var application = change.Application!;
        if (request.Address is not null) application.Address = request.Address;
        if (request.Secret is not null)
        {
            application.SecretHash = hasher.HashPassword(application, request.Secret);
            application.SecretStamp = Guid.CreateVersion7().ToString("N");
        }

        session.Update(application);
        await session.SaveChangesAsync(ct);
        if (application.SecretStamp is { } stamp) stamps.Changed(application.Id, stamp);
        return new Data<ApplicationView>(ApplicationView.From(application));
    }

    private static ApplicationChange Refused(ProblemDetails problem) => new(problem, null);
}
