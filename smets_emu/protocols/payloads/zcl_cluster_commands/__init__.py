"""Command payload grammars of the Smart Energy clusters GBCS uses, one module per cluster (SE 1.4 Annex D).

Each module declares its grammars through a :class:`ClusterCommands`, which records the command id,
direction and name where the grammar is declared (one declaration per command); the module's
``COMMANDS`` is that record: (direction, command id) -> (name, grammar).
"""

from __future__ import annotations

from construct import Construct

from smets_emu.protocols.payloads.zcl_fields import ZclDirection


class ClusterCommands:
    """The command grammars of one cluster: ``Grammar = CLUSTER.s2c(0x00, "Publish X", Struct(...))``.

    ``c2s`` declares a client-to-server command, ``s2c`` a server-to-client one (GBCS encodes pushes to the
    meter as server-to-client "Publish ..." commands, GBCS 7.5); both return the grammar, so that one grammar
    can serve several command ids.
    """

    def __init__(self, cluster_id: int) -> None:
        self.cluster_id = cluster_id
        self.commands: dict[tuple[ZclDirection, int], tuple[str, Construct]] = {}

    def c2s(self, command_id: int, name: str, grammar: Construct) -> Construct:
        """Declare client->server command *command_id* called *name* with payload *grammar*."""
        return self._declare(ZclDirection.CLIENT_TO_SERVER, command_id, name, grammar)

    def s2c(self, command_id: int, name: str, grammar: Construct) -> Construct:
        """Declare server->client command *command_id* called *name* with payload *grammar*."""
        return self._declare(ZclDirection.SERVER_TO_CLIENT, command_id, name, grammar)

    def _declare(self, direction: ZclDirection, command_id: int, name: str, grammar: Construct) -> Construct:
        key = (direction, command_id)
        if key in self.commands:
            raise RuntimeError(f"cluster 0x{self.cluster_id:04X} declares {direction.name} 0x{command_id:02X} twice")
        self.commands[key] = (name, grammar)
        return grammar
