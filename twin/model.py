"""The layout model: an immutable description of a factory as the planner writes it.

Units are metres and seconds throughout. Models are frozen pydantic models that reject
unknown fields, so a typo in a layout file is an error, not a silently ignored key. Every
number has a finite range chosen from what a real factory can be (NaN and infinity are
refused everywhere, and so is a value that would overflow the scheduler's integers or ask
for petabytes); counts are limited in `twin.limits`. Checks that need the whole layout
(references, overlaps, reachability) live in `twin.validate`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field


def _between(low: float, high: float, *, low_open: bool = False) -> object:
    """A finite float in [low, high] ((low, high] with `low_open`)."""
    if low_open:
        return Annotated[float, Field(gt=low, le=high, allow_inf_nan=False)]
    return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False)]


def _count_between(low: int, high: int) -> object:
    return Annotated[int, Field(ge=low, le=high)]


MAX_FLOOR = 2_000.0  # m: the largest factory buildings are about 1.5 km long
DAY, WEEK, YEAR = 86_400.0, 604_800.0, 31_536_000.0

Length = _between(0, MAX_FLOOR, low_open=True)  # floor and zone sizes (m)
Coordinate = _between(-MAX_FLOOR, MAX_FLOOR)  # a point on the floor (m); `twin.validate` checks it lies inside
LocalOffset = _between(-500.0, 500.0)  # relative to a station's centre (m)
CellCoordinate = _between(-100.0, 100.0)  # in a robot cell's frame (m)
Angle = _between(-360.0, 360.0)  # degrees
UnitTime = _between(0, WEEK, low_open=True)  # seconds per unit or per changeover
ExtraTime = _between(0, WEEK)  # handling and set-up seconds
ShiftTime = _between(0, YEAR)  # release and due: seconds from the shift start, within a year
Speed = _between(0.01, 10.0)  # m/s: the slowest conveyors to the fastest sorters and AGVs

FloorCorner = _between(0, MAX_FLOOR)  # a keep-out zone's lower-left corner (m)
GridStep = _between(0.05, 10.0)  # m
AisleWidth = _between(0.3, 30.0)  # m
Payload = _between(0, 2_500.0)  # kg: the strongest industrial robots carry about 2.3 t
GripperTime = _between(0, 60.0)  # s
Scale = _between(0.01, 1.0)  # fraction of the robot's rated joint speed or acceleration
StationSize = _between(0, 500.0, low_open=True)  # m
StationHeight = _between(0, 100.0, low_open=True)  # m
Capacity = _count_between(1, 100)  # identical parallel units (lanes) of one station
Mtbf = _between(0, 1e9, low_open=True)  # s, about 30 years
Mttr = _between(0, 1e7, low_open=True)  # s, about 4 months
Cost = _between(0, 1e12)  # any currency
FleetSize = _count_between(1, 1_000)
LoadTime = _between(0, DAY)
Units = _count_between(1, 10_000_000)
DueTime = _between(0, YEAR, low_open=True)
Weight = _between(0.001, 1_000.0)  # 1e6 : 1 at most, so weighted sums fit the scheduler's integers
Tick = _between(0.001, 3_600.0)  # s
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Point2 = tuple[Coordinate, Coordinate]
Point3 = tuple[CellCoordinate, CellCoordinate, CellCoordinate]
LocalPoint = tuple[LocalOffset, LocalOffset]
Angles = tuple[Angle, Angle, Angle]

StationKind = Literal["machine", "robot_cell", "manual", "inspection", "buffer"]
STATION_KINDS: tuple[str, ...] = get_args(StationKind)
Rotation = Literal[0, 90, 180, 270]


class Model(BaseModel):
    """Base for every layout object: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


# --- floor -------------------------------------------------------------------------------


class Zone(Model):
    """A keep-out rectangle on the floor (building column, wall, hazard area)."""

    id: Identifier
    kind: Literal["column", "wall", "hazard"] = "column"
    x: FloorCorner = Field(description="lower-left corner x (m)")
    y: FloorCorner = Field(description="lower-left corner y (m)")
    width: Length
    depth: Length


class Dock(Model):
    """Where material enters (receiving) or leaves (shipping) the floor."""

    id: Identifier
    kind: Literal["receiving", "shipping"]
    position: Point2 = Field(description="point on or near the floor edge (m)")


class Floor(Model):
    width: Length = Field(description="floor size along x (m)")
    depth: Length = Field(description="floor size along y (m)")
    grid: GridStep = Field(1.0, description="placement and aisle-routing grid spacing (m)")
    aisle_width: AisleWidth = Field(1.5, description="minimum free aisle width between stations (m)")
    keep_out: tuple[Zone, ...] = ()
    docks: tuple[Dock, ...] = ()


# --- robot cells -------------------------------------------------------------------------


class Pose(Model):
    """Position (m) and roll/pitch/yaw (degrees) in the cell frame: origin at the station's
    footprint centre on the floor, x along the footprint width, z up."""

    xyz: Point3 = (0.0, 0.0, 0.0)
    rpy: Angles = (0.0, 0.0, 0.0)


class Fixture(Model):
    """A box in the cell: table, feeder, conveyor end, part tray."""

    id: Identifier
    size: tuple[Length, Length, Length] = Field(description="box size x, y, z (m)")
    pose: Pose = Pose()


class Waypoint(Model):
    """A tool-centre-point target. `action` grips the payload or releases it on arrival.
    With `relative_to` a fixture, `xyz` is in that fixture's frame (its centre and pose
    rotation; `twin.cell_frame`), so the waypoint moves with the fixture."""

    name: Identifier
    xyz: Point3
    relative_to: Identifier | None = Field(
        None, description="a fixture id of this cell: xyz is then in the fixture's frame; None: the cell frame")
    rpy: Angles = Field((180.0, 0.0, 0.0), description="tool orientation (deg); default points down")
    action: Literal["none", "grip", "release"] = "none"


class RobotTask(Model):
    id: Identifier
    waypoints: tuple[Waypoint, ...] = Field(min_length=2)
    payload: Payload = Field(0.0, description="mass carried between grip and release (kg)")
    gripper_close: GripperTime = Field(0.2, description="seconds to close the gripper")
    gripper_open: GripperTime = Field(0.2, description="seconds to open the gripper")
    speed_scale: Scale = 1.0
    accel_scale: Scale = 1.0


LoadHeight = _between(0, 100.0)  # m above the floor
TendDistance = _between(0, 20.0, low_open=True)  # m: a robot tends what it reaches, far less than this


class TendedMachine(Model):
    """A machine the cell's robot loads and unloads, and where (`twin.tending`). The layout
    keeps them adjacent: the robot base stands within `max_distance` of the load point
    (horizontally, on the floor) and the robot must reach it; the search moves the robot and
    the machines it tends together, as placed."""

    machine: Identifier = Field(description="the tended station's id")
    load_point: tuple[LocalOffset, LocalOffset, LoadHeight] = Field(
        description="where parts go in and out, in the machine's frame: x along its footprint width and y along "
        "its depth from the footprint centre, z above the floor (m)")
    max_distance: TendDistance = Field(description="largest horizontal distance from the robot base to the load point (m)")


class RobotCell(Model):
    """The physical content of a robot_cell station; its cycle times come from physics."""

    robot: str = Field(
        min_length=1,
        description="'panda', 'kuka_iiwa', or a URDF path relative to the layout file's folder",
    )
    base: Pose = Pose()
    fixtures: tuple[Fixture, ...] = ()
    tasks: tuple[RobotTask, ...] = Field(min_length=1)
    tends: tuple[TendedMachine, ...] = Field((), description="machines this robot loads and unloads")


# --- variability, breakdowns and steady demand (read by the running twin, twin.sim) ---------
# The plan (CP-SAT) uses each time's mean; the shapes, breakdowns, buffers and arrival rates
# below are the running twin's. Every default reproduces the deterministic plan.

Factor = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
DistributionKind = Literal["fixed", "exponential", "triangular", "lognormal", "empirical"]
BufferCapacity = Annotated[int, Field(ge=1, le=1_000_000)]


class Variability(Model):
    """The shape of a random time around a mean given elsewhere (an operation's time or
    physics cycle, a station's MTBF or MTTR, a product's arrival interval), so the plan and
    the twin share the mean. `fixed`: always the mean; `exponential`; `triangular` between
    `low` and `high` times the mean (the mode follows from the mean); `lognormal` with
    coefficient of variation `cv`; `empirical`: observed `samples` (any unit), rescaled so
    their mean is the mean."""

    kind: DistributionKind = "fixed"
    cv: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="lognormal: standard deviation / mean")
    low: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="triangular: smallest value as a fraction of the mean")
    high: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] | None = Field(
        None, description="triangular: largest value as a multiple of the mean")
    samples: tuple[Factor, ...] | None = Field(
        None, min_length=1, max_length=100_000, description="empirical: observed values, rescaled to the mean")


EXPONENTIAL = Variability(kind="exponential")


class Breakdowns(Model):
    """How a station with `mtbf`/`mttr` fails: operating time between failures and repair
    time, each a shape around that mean (exponential unless given)."""

    uptime: Variability = EXPONENTIAL
    repair: Variability = EXPONENTIAL


# --- stations ------------------------------------------------------------------------------


class Footprint(Model):
    width: StationSize = Field(description="size along the station's local x (m)")
    depth: StationSize = Field(description="size along the station's local y (m)")


class Station(Model):
    id: Identifier
    kind: StationKind
    footprint: Footprint
    height: StationHeight = 1.5
    position: Point2 | None = Field(None, description="footprint centre on the floor (m); None: the search places it")
    rotation: Rotation = 0
    fixed: bool = Field(False, description="the layout search may not move a fixed station")
    capacity: Capacity = Field(1, description="identical parallel units (lanes)")
    input_port: LocalPoint | None = Field(None, description="local offset of the input port (m); default: left edge centre")
    output_port: LocalPoint | None = Field(None, description="local offset of the output port (m); default: right edge centre")
    mtbf: Mtbf | None = Field(None, description="mean time between failures (s)")
    mttr: Mttr | None = Field(None, description="mean time to repair (s)")
    cost: Cost | None = Field(None, description="purchase cost (any currency)")
    guarded: bool = Field(False, description="a safety fence contains the robot's reach envelope")
    cell: RobotCell | None = None
    breakdowns: Breakdowns = Field(Breakdowns(), description="failure shapes; used when mtbf and mttr are given")
    input_buffer: BufferCapacity | None = Field(None, description="lots that may wait before the station; None: no limit")
    output_buffer: BufferCapacity | None = Field(
        None, description="finished lots that may wait for transport; when full the station blocks; None: no limit")
    batch_size: Units | None = Field(
        None, description="a batch machine (oven, kettle, tunnel pasteuriser) processes up to this many units at "
        "once: an operation's time here is seconds per batch, lots of one family at the same routing step with "
        "the same time share a batch up to this many units, a larger lot runs as several batches; None: unit by unit")

    def with_placement(self, position: Point2, rotation: Rotation | None = None) -> "Station":
        """A copy of this station at a new place: how a candidate layout is made."""
        update: dict = {"position": (float(position[0]), float(position[1]))}
        if rotation is not None:
            update["rotation"] = rotation
        return self.model_copy(update=update)


# --- transport -----------------------------------------------------------------------------


class Conveyor(Model):
    id: Identifier
    from_station: Identifier = Field(alias="from")
    to_station: Identifier = Field(alias="to")
    speed: Speed = Field(0.3, description="belt speed (m/s)")
    route: tuple[Point2, ...] = Field((), description="optional polyline (m); default: an L-shaped run port to port")
    pitch: Length | None = Field(
        None, description="belt length one lot takes (m): the running twin's belt holds length / pitch lots and a "
        "full belt blocks its feeder; None: no limit")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)  # merged with Model's


class AgvFleet(Model):
    speed: Speed = Field(1.0, description="travel speed (m/s)")
    fleet_size: FleetSize = 2
    load_time: LoadTime = Field(10.0, description="seconds to load plus unload one lot")
    home: Identifier | None = Field(
        None, description="dock or station where every vehicle starts and waits before its first trip; "
        "None: the first receiving dock, else the first station")


class Transport(Model):
    conveyors: tuple[Conveyor, ...] = ()
    agv: AgvFleet = AgvFleet()


# --- products ------------------------------------------------------------------------------


class Operation(Model):
    """One routing step. Either `stations` lists the ids that can do it, or `station_kind`
    admits every station of that kind. A robot cell takes the physics cycle time of `task`
    per unit plus `handling`; any other station takes `time` per unit. An operation that a
    robot cell or a manual bench can do gives both. A step at `buffer` stations is storage:
    no time or task; the lot takes one of the buffer's `capacity` places until the next
    station has room (the running twin's; the plan refuses it)."""

    id: Identifier
    stations: tuple[Identifier, ...] | None = None
    station_kind: StationKind | None = None
    time: UnitTime | None = Field(None, description="processing seconds per unit")
    task: Identifier | None = Field(None, description="robot-cell task id whose simulated cycle is the unit time")
    handling: ExtraTime = Field(0.0, description="extra seconds per unit on top of a task's cycle")
    setup: ExtraTime = Field(0.0, description="fixed seconds per lot before the first unit")
    variability: Variability = Field(Variability(), description="shape of the time per unit around its mean")

    def runs_task(self, station: Station) -> bool:
        """Whether `station` does this operation by its robot task (a physics cycle) rather
        than by `time`: a robot cell always, any station when no time is given."""
        return self.task is not None and (station.kind == "robot_cell" or self.time is None)

    def unit_seconds(self, station: Station, task_times: Mapping[tuple[str, str], float]) -> float | None:
        """Mean seconds per unit on `station` (per batch on a batch machine): a robot cell's
        physics cycle of `task` (from `task_times[(station, task)]`) plus `handling`, else
        `time`; None when that cycle is missing, or the operation has neither (which
        `twin.validate` refuses; checks that run beside it skip the operation). Storage in a
        buffer station takes no time."""
        if station.kind == "buffer":
            return 0.0
        if self.runs_task(station):
            seconds = task_times.get((station.id, self.task))
            return None if seconds is None else float(seconds) + self.handling
        return None if self.time is None else float(self.time)

    def lot_seconds(self, station: Station, units: int, task_times: Mapping[tuple[str, str], float]) -> float | None:
        """Mean seconds for a lot of `units` on `station`: the setup, then the units one by one,
        or on a batch machine ceil(units / batch_size) batches."""
        unit = self.unit_seconds(station, task_times)
        if unit is None:
            return None
        # ceil(units / batch_size) as twin.batching.batches counts it (that module reads this one)
        return self.setup + unit * (units if station.batch_size is None else -(-units // station.batch_size))


class Product(Model):
    id: Identifier
    family: Identifier = Field(description="changeover family")
    demand: Units = Field(description="units to make")
    lot_size: Units = Field(description="units per lot; each lot is one job")
    transfer_batch: Units | None = Field(
        None, description="units that move on together to the next operation (1 <= transfer_batch <= lot_size); "
        "None: the whole lot")
    release: ShiftTime = Field(0.0, description="earliest start (s from shift start)")
    due: DueTime | None = Field(None, description="due time (s from shift start)")
    weight: Weight = Field(1.0, description="tardiness weight")
    routing: tuple[Operation, ...] = Field(min_length=1)
    rate: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] | None = Field(
        None, description="steady demand for the running twin (units/h, lots of lot_size arriving); "
        "None: the twin releases the demand's lots")
    arrivals: Variability = Field(EXPONENTIAL, description="shape of the time between steady-demand lots")

    @property
    def lots(self) -> list[int]:
        """Units in each lot, the last one holding the remainder."""
        full, rest = divmod(self.demand, self.lot_size)
        return [self.lot_size] * full + ([rest] if rest else [])


class Changeover(Model):
    """Set-up time on `stations` when a lot of `to_family` follows one of `from_family`."""

    stations: tuple[Identifier, ...] = Field(min_length=1)
    from_family: Identifier
    to_family: Identifier
    time: UnitTime


# --- costs -------------------------------------------------------------------------------------


Power = _between(0, 5_000.0)  # kW while busy: a bench lamp to the largest industrial ovens


class StationPower(Model):
    """Electric power drawn while a station is busy (kW), by station kind."""

    machine: Power = Field(15.0, description="a CNC machine, oven or SMT line (kW)")
    robot_cell: Power = Field(4.0, description="an industrial robot with its controller and tooling (kW)")
    manual: Power = Field(0.3, description="a manual bench: lights and tools (kW)")
    inspection: Power = Field(1.5, description="a camera or test station (kW)")
    buffer: Power = Field(0.0, description="storage (kW)")


class Costs(Model):
    """What a design costs per year, in the currency of the stations' `cost`. Only the layout
    search's final ranking reads it; the plan and the running twin never do. Annual cost =
    (station costs + conveyor metres x `conveyor_per_m` + AGVs x `agv_each`) /
    `depreciation_years` + used floor area x `floor_per_m2_year` + running costs measured by
    the simulation (AGV km driven x `agv_per_km`, busy hours x station power x
    `energy_per_kwh`) for the layout's demand, which recurs through `operating_hours` a year
    (`optimizer.costing`). A station without `cost` counts as 0."""

    conveyor_per_m: _between(0, 1e7) = Field(1_500.0, description="installed belt conveyor per metre")
    agv_each: _between(0, 1e8) = Field(35_000.0, description="one AGV with its share of the fleet controller")
    floor_per_m2_year: _between(0, 1e5) = Field(100.0, description="floor space per m2 and year (rent or its equivalent)")
    depreciation_years: _between(1, 50) = Field(8.0, description="years over which capital is written off (straight line)")
    energy_per_kwh: _between(0, 100.0) = Field(0.20, description="electricity per kWh")
    agv_per_km: _between(0, 1e4) = Field(0.50, description="AGV running cost per km driven (energy, wear, maintenance)")
    operating_hours: _between(1, 8_760) = Field(6_000.0, description="hours a year the factory runs (two shifts on 250 "
                                                "days is 4,000)")
    buffer_per_place: _between(0, 1e7) = Field(
        0.0, description="one place of a station's input or output buffer (rack bay, accumulation table); 0: "
        "buffers are not priced")
    station_power_kw: StationPower = StationPower()


# --- decisions (read by the layout search only) ----------------------------------------------


class FleetRange(Model):
    """The AGV fleet sizes the layout search may choose from, both ends included."""

    min: FleetSize
    max: FleetSize


class BufferRange(Model):
    """The capacities (lots) the layout search may give one station's input or output buffer,
    both ends included."""

    station: Identifier
    buffer: Literal["input", "output"]
    min: BufferCapacity
    max: BufferCapacity

    @property
    def field(self) -> str:
        """The station field it sets: `input_buffer` or `output_buffer`."""
        return f"{self.buffer}_buffer"


class Decisions(Model):
    """What the layout search chooses besides where the stations stand: the AGV fleet size and
    buffer capacities, each from a bounded range. The layout's own values (`fleet_size`,
    `input_buffer`, `output_buffer`) are the as-is design's; a candidate carries its own,
    which its plan, its running twin and its annual cost all use."""

    agv_fleet: FleetRange | None = Field(None, description="fleet sizes to try; None: the fleet stays as it is")
    buffers: tuple[BufferRange, ...] = Field((), max_length=100, description="buffer capacities to try")

    @property
    def empty(self) -> bool:
        return self.agv_fleet is None and not self.buffers


# --- operators (read by the plan and the running twin; `twin.shifts`) ------------------------


ClockTime = Annotated[str, Field(pattern=r"^\d{1,2}:\d{2}$", description="a clock time 'HH:MM', 00:00 to 24:00")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)


class Break(Model):
    """A pause inside a shift in which the whole pool stops (stagger breaks with two pools)."""

    start: ClockTime
    end: ClockTime


class Shift(Model):
    """When a pool works, every day or on the listed `days` (a weekly pattern). A shift stays
    inside one day: a night shift is two shifts, 22:00-24:00 and 00:00-06:00."""

    start: ClockTime
    end: ClockTime
    breaks: tuple[Break, ...] = Field((), max_length=24)
    days: tuple[Weekday, ...] | None = Field(None, min_length=1, max_length=7,
                                             description="weekdays it runs on; None: every day")


class OperatorPool(Model):
    """`size` interchangeable operators on one shift calendar who can run the stations listed
    in `stations` and every station of the `kinds` listed. A manned station (kind `manual`,
    or one a pool lists) holds one operator for each operation, setup included, and works
    only while that operator is on shift."""

    id: Identifier
    size: _count_between(1, 10_000)
    stations: tuple[Identifier, ...] = Field((), description="station ids this pool can run")
    kinds: tuple[StationKind, ...] = Field((), description="station kinds this pool can run")
    shifts: tuple[Shift, ...] = Field((), max_length=48, description="on-shift times; none: around the clock")


class Operators(Model):
    """The operator pools; without pools no station needs an operator (as before)."""

    time_zero: Annotated[str, Field(pattern=r"^([a-z]{3} )?\d{1,2}:\d{2}$")] = Field(
        "mon 00:00", description="the weekday and clock time at t = 0 s, where releases and due times count "
        "from: '06:00' or 'mon 06:00'")
    pools: tuple[OperatorPool, ...] = Field((), max_length=1_000)


# --- the layout ------------------------------------------------------------------------------


class Layout(Model):
    name: Identifier
    description: Annotated[str, Field(max_length=10_000)] = ""
    version: Literal[1] = 1
    tick: Tick = Field(1.0, description="scheduler time unit (s); times are rounded up to whole ticks")
    floor: Floor
    stations: tuple[Station, ...] = Field(min_length=1)
    transport: Transport = Transport()
    products: tuple[Product, ...] = Field(min_length=1)
    changeovers: tuple[Changeover, ...] = ()
    costs: Costs = Field(Costs(), description="prices for the search's ranking by annual cost")
    decisions: Decisions = Field(Decisions(), description="fleet size and buffer ranges the layout search chooses from")
    operators: Operators = Field(Operators(), description="operator pools with skills and shift calendars")

    def station(self, station_id: str) -> Station:
        for station in self.stations:
            if station.id == station_id:
                return station
        raise KeyError(station_id)

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)

    def agv_home(self) -> str:
        """Where the AGVs start: `transport.agv.home`, else the first receiving dock, else the
        first station. The plan and the running twin both start their vehicles here."""
        if self.transport.agv.home is not None:
            return self.transport.agv.home
        receiving = [d.id for d in self.floor.docks if d.kind == "receiving"]
        return receiving[0] if receiving else self.stations[0].id

    def candidate_stations(self, operation: Operation) -> list[Station]:
        """Stations that can do an operation: the ids it lists, or every station of its kind."""
        if operation.stations is not None:
            ids = set(operation.stations)
            return [s for s in self.stations if s.id in ids]
        return [s for s in self.stations if s.kind == operation.station_kind]

    def with_stations(self, stations: tuple[Station, ...] | list[Station]) -> "Layout":
        """A copy with new stations (same ids, new placements): a candidate layout."""
        return self.model_copy(update={"stations": tuple(stations)})

    def with_placements(self, placements: dict[str, tuple[Point2, Rotation]]) -> "Layout":
        """A copy in which each station id in `placements` gets a new (position, rotation).

        A conveyor's drawn route belongs to the old places of its ends: when either end
        moves, the route is dropped and the conveyor is laid anew port to port."""
        moved = {
            s.id for s in self.stations
            if s.id in placements and (tuple(placements[s.id][0]), placements[s.id][1]) != (s.position, s.rotation)
        }
        stations = [s.with_placement(*placements[s.id]) if s.id in placements else s for s in self.stations]
        conveyors = tuple(
            c.model_copy(update={"route": ()}) if c.route and {c.from_station, c.to_station} & moved else c
            for c in self.transport.conveyors
        )
        transport = self.transport.model_copy(update={"conveyors": conveyors})
        return self.model_copy(update={"stations": tuple(stations), "transport": transport})
