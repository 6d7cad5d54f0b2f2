// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PausableTarget
/// @notice A contract owned by a Safe, for tminus's drills and tests: the
/// containment step is the Safe calling pause().
contract PausableTarget {
    address public immutable owner;
    bool public paused;

    event Paused(address indexed by);
    event Unpaused(address indexed by);

    error NotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    function pause() external onlyOwner {
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyOwner {
        paused = false;
        emit Unpaused(msg.sender);
    }
}
