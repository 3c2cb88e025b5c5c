namespace Ezio.TestKit.Engine;

/// <summary>How the members of a <see cref="SwarmHarness"/> reach each other.</summary>
public enum SwarmTransport
{
    /// <summary>In-memory pipe pairs joined directly: no socket, no kernel buffer, no dial.</summary>
    Memory,

    /// <summary>Loopback sockets: a listener per member, each dialling the ones before it.</summary>
    Sockets,
}
