namespace Ezio.Sim;

/// <summary>
/// One scheduled event. <see cref="Peer"/> is the receiving host's view of the sender (the
/// connection the message arrives on); <see cref="Version"/> invalidates flow events whose
/// flow changed rate since they were scheduled; <see cref="Other"/> is the host a machine dials.
/// </summary>
public readonly record struct SimEvent(EventKind Kind, Host? Host = null, Peer? Peer = null, Flow? Flow = null, int Index = -1, long Version = 0, Host? Other = null);
