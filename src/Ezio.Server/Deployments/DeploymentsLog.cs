using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

internal static partial class DeploymentsLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Deployment {Id} created: image {Image} to {Machines}")]
    public static partial void Created(ILogger logger, string id, string image, string machines);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Machine {Mac} registered from {Ip}")]
    public static partial void Registered(ILogger logger, string mac, string? ip);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Machine {Mac} got job {Deployment}")]
    public static partial void JobIssued(ILogger logger, string mac, string deployment);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Machine {Mac} done with {Deployment}: ok={Ok} {Reason}")]
    public static partial void MachineDone(ILogger logger, string mac, string deployment, bool ok, string? reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Deployment {Id} is now {State}")]
    public static partial void StateChanged(ILogger logger, string id, DeploymentState state);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "Cannot save the server state")]
    public static partial void SaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Conflict: machine {Mac} holds the job of {Deployment} from {Holder}, and {Address} registered it too; the job is paused until an admin runs `ezio-server release {Mac}`")]
    public static partial void Conflict(ILogger logger, string mac, string deployment, string? holder, string address);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Machine {Mac}: {Call} refused from {Address}: {Reason}")]
    public static partial void Refused(ILogger logger, string mac, string call, string? address, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Machine {Mac} released by an admin: the next registration gets a new secret")]
    public static partial void Released(ILogger logger, string mac);
}
