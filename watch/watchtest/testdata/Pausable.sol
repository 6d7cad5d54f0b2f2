// SPDX-License-Identifier: MIT
// Test fixture for watch/chain_sim_test.go: the smallest contract that emits
// the events the on-chain watcher tests look for. Compiled with
// solc-js 0.8.30 (see testdata/README.md); never deploy this anywhere real.
pragma solidity ^0.8.30;

contract Pausable {
    event Paused(address account);
    event Unpaused(address account);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event Transfer(address indexed from, address indexed to, uint256 value);

    address public owner;
    bool public paused;
    mapping(address => uint256) public balanceOf;

    // The supply is minted silently so that deploying raises no Transfer
    // alert and the tests control exactly which Transfers exist.
    constructor() {
        owner = msg.sender;
        balanceOf[msg.sender] = 1_000_000 ether;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
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

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
